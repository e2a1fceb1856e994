package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs only with {@code -Dconveyor.test.broker=container}, as CI does with the local image. */
@EnabledIfSystemProperty(named = KafkaBrokerExtension.BROKER_PROPERTY, matches = "container")
@ExtendWith(KafkaBrokerExtension.class)
class ContainerBrokerIT {

    @Test
    void extensionGivesAContainerBroker(KafkaBroker broker) {
        assertThat(broker).isInstanceOf(ContainerKafkaBroker.class);
        String image = System.getProperty(KafkaBrokerExtension.IMAGE_PROPERTY);
        if (image != null) {
            assertThat(broker.toString()).contains(image);
        }
    }

    @Test
    void roundTrip(KafkaBroker broker) throws Exception {
        String topic = broker.uniqueName("container");
        broker.createTopics(2, topic);

        Map<String, Object> producerConfig = broker.clientConfig();
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (var producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "through docker")).get();
        }

        Map<String, Object> consumerConfig = broker.clientConfig();
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, broker.uniqueName("group"));
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).pollInSameThread().untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                assertThat(values).containsExactly("through docker");
            });
        }
    }
}
