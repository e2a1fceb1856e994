package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients against the broker the extension chooses (embedded by default, a container with
 * {@code -Dconveyor.test.broker=container}); a fresh topic and group per test.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaBrokerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final KafkaBroker broker;

    KafkaBrokerIT(KafkaBroker broker) {
        this.broker = broker;
    }

    @Test
    void idempotentProducerRoundTrip() throws Exception {
        String topic = broker.uniqueName("roundtrip");
        broker.createTopics(3, topic);

        try (var producer = producer(Map.of())) {
            RecordMetadata sent =
                    producer.send(new ProducerRecord<>(topic, "k1", "hello")).get();
            assertThat(sent.topic()).isEqualTo(topic);
        }

        assertThat(readCommitted(topic, "read_uncommitted", 1)).containsExactly("hello");
    }

    @Test
    void transactionalProducerCommitIsVisibleAndAbortIsNot() throws Exception {
        String topic = broker.uniqueName("tx");
        broker.createTopics(1, topic);

        try (var producer = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, broker.uniqueName("tx-id")))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }

        assertThat(readCommitted(topic, "read_committed", 1)).containsExactly("committed");
    }

    @Test
    void shareConsumerReceivesARecord(KafkaBroker sameBroker) throws Exception {
        assertThat(sameBroker).isSameAs(broker);
        String topic = broker.uniqueName("share");
        String group = broker.uniqueName("share-group");
        broker.createTopics(1, topic);
        readShareGroupFromEarliest(group);
        try (var producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, "k", "shared")).get();
        }

        Map<String, Object> config = broker.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (var consumer = new KafkaShareConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<String> received = new ArrayList<>();
            await().atMost(TIMEOUT).pollInSameThread().untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(r.value()));
                assertThat(received).containsExactly("shared");
            });
            consumer.commitSync();
        }
    }

    private void readShareGroupFromEarliest(String group) throws Exception {
        try (Admin admin = Admin.create(broker.clientConfig())) {
            var resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            var op =
                    new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get();
        }
    }

    private KafkaProducer<String, String> producer(Map<String, Object> extra) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putAll(extra);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private List<String> readCommitted(String topic, String isolation, int expected) {
        Map<String, Object> config = broker.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, broker.uniqueName("group"));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(TIMEOUT).pollInSameThread().untilAsserted(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
                assertThat(values).hasSize(expected);
            });
        }
        return values;
    }
}
