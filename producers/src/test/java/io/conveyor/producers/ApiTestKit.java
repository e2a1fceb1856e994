package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.KafkaBroker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Configurations, topics and topic reads for API tests against one broker. Stateless. */
final class ApiTestKit {
    private ApiTestKit() {}

    /** A config on a fresh topic prefix (one partition per topic), with these settings on top. */
    static ConveyorConfig config(KafkaBroker broker, Map<String, String> settings) {
        ConveyorConfig.Builder config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.HTTP_HOST, "127.0.0.1")
                .set(ConveyorConfig.HTTP_PORT, 0)
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1)
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("t"));
        settings.forEach((key, value) -> config.set(key, value, "test"));
        return config.build();
    }

    /** The same config, its topics created. */
    static ConveyorConfig provisioned(KafkaBroker broker, Map<String, String> settings) {
        ConveyorConfig config = config(broker, settings);
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
        }
        return config;
    }

    static PrometheusMeterRegistry registry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Waits until the one-partition topic holds {@code count} records, and returns them. */
    static List<ConsumerRecord<String, byte[]>> read(KafkaBroker broker, String topic, int count) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        Map<String, Object> props = broker.clientConfig();
        props.put("isolation.level", "read_committed");
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            await().atMost(Http.TIMEOUT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                assertThat(records).as("records on %s", topic).hasSizeGreaterThanOrEqualTo(count);
            });
        }
        return records;
    }

    /** The end offset of the one-partition topic. */
    static long endOffset(KafkaBroker broker, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        Map<String, Object> props = broker.clientConfig();
        props.put("isolation.level", "read_committed");
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            return consumer.endOffsets(List.of(partition), Http.TIMEOUT).get(partition);
        }
    }
}
