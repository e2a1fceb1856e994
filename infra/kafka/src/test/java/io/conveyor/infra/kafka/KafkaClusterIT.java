package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The cluster that the failover tests kill and freeze: three real brokers in containers. Runs only
 * with {@code -Dconveyor.test.broker=cluster}, as CI's cluster step does with the local image.
 */
@EnabledIfSystemProperty(named = KafkaBrokerExtension.BROKER_PROPERTY, matches = "cluster")
class KafkaClusterIT {
    private static ContainerKafkaCluster cluster;

    @BeforeAll
    static void start() {
        cluster = ContainerKafkaCluster.start(
                System.getProperty(KafkaBrokerExtension.IMAGE_PROPERTY, ContainerKafkaBroker.DEFAULT_IMAGE),
                3,
                Map.of());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void writesSurviveTheLossOfTheLeaderAndStopWhenEveryNodeIsFrozen() throws Exception {
        String topic = cluster.uniqueName("failover");
        try (Admin admin = Admin.create(cluster.clientConfig());
                KafkaProducer<String, String> producer = producer(Duration.ofSeconds(60));
                KafkaProducer<String, String> impatient = producer(Duration.ofSeconds(10))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() ->
                            describe(admin, topic).partitions().getFirst().isr().size() == 3);
            producer.send(new ProducerRecord<>(topic, "before")).get(30, TimeUnit.SECONDS);

            int leader = cluster.leaderOfMostPartitions(List.of(topic));
            cluster.kill(leader);
            // acks=all with min.insync.replicas=2: the two left take the write
            producer.send(new ProducerRecord<>(topic, "during")).get(60, TimeUnit.SECONDS);
            assertThat(cluster.leaderOfMostPartitions(List.of(topic))).isNotEqualTo(leader);

            cluster.restart(leader);
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() ->
                            describe(admin, topic).partitions().getFirst().isr().size() == 3);
            assertThat(cluster.activeController()).isIn(cluster.nodeIds());

            cluster.freezeAll();
            try {
                assertThatThrownBy(() -> impatient
                                .send(new ProducerRecord<>(topic, "frozen"))
                                .get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class);
            } finally {
                cluster.thawAll();
            }
            producer.send(new ProducerRecord<>(topic, "after")).get(60, TimeUnit.SECONDS);
        }
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    private static KafkaProducer<String, String> producer(Duration deliveryTimeout) {
        Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryTimeout.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) deliveryTimeout.toMillis());
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }
}
