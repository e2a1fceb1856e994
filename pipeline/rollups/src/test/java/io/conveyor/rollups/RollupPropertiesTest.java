package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.core.ConfigException;
import io.conveyor.core.ConveyorConfig;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

/** The Kafka Streams settings the rollups run with: their own defaults, what users may change, what not. */
class RollupPropertiesTest {
    private static final HostInfo SELF = new HostInfo("localhost", 8080);

    @Test
    void exactlyOnceAStreamThreadPerCoreCommitsEvery100MsAndBigProducerBatches() {
        Properties props = Rollups.properties(ConveyorConfig.builder().build(), SELF);
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG))
                .isEqualTo(Math.min(
                        Runtime.getRuntime().availableProcessors(), io.conveyor.core.Topics.DEFAULT_PARTITIONS));
        assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100);
        assertThat(props.get(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEqualTo("localhost:8080");
        // a dead instance's partitions move after 10 s, not Kafka's 45 s
        assertThat(new StreamsConfig(props).getMainConsumerConfigs("g", "c", 0).get("session.timeout.ms"))
                .isEqualTo(10_000);
        assertThat(props.get(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG)))
                .isEqualTo(512 * 1024);
        // Kafka Streams hands the prefixed setting to its producers
        assertThat(new StreamsConfig(props).getProducerConfigs("client").get(ProducerConfig.BATCH_SIZE_CONFIG))
                .isEqualTo(512 * 1024);
    }

    @Test
    void securitySettingsReachKafkaStreamsAndEveryClientItMakes() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set("kafka.security.protocol", "SASL_SSL", "test")
                .set("kafka.sasl.mechanism", "SCRAM-SHA-512", "test")
                .set("kafka.ssl.truststore.location", "/etc/conveyor/ca.pem", "test")
                .build();
        StreamsConfig streams = new StreamsConfig(Rollups.properties(config, SELF));
        for (var clientConfig : java.util.List.of(
                streams.getProducerConfigs("p"),
                streams.getMainConsumerConfigs("g", "c", 0),
                streams.getRestoreConsumerConfigs("r"),
                streams.getAdminConfigs("a"))) {
            assertThat(clientConfig)
                    .containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.location", "/etc/conveyor/ca.pem");
        }
    }

    @Test
    void noMoreStreamThreadsThanResultsPartitions() {
        ConveyorConfig onePartition = ConveyorConfig.builder()
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1)
                .build();
        assertThat(Rollups.defaultStreamThreads(onePartition)).isEqualTo(1);
        ConveyorConfig many = ConveyorConfig.builder()
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1_000)
                .build();
        assertThat(Rollups.defaultStreamThreads(many))
                .isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void kafkaStreamsTopicsGetTheReplicationOfEveryOtherTopic() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.TOPICS_REPLICATION, 3)
                .set(ConveyorConfig.TOPICS_MIN_INSYNC_REPLICAS, 2)
                .build();
        StreamsConfig streams = new StreamsConfig(Rollups.properties(config, SELF));
        assertThat(streams.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
        // what Kafka Streams puts in the configs of the internal topics it creates
        assertThat(streams.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX)).containsEntry("min.insync.replicas", 2);

        StreamsConfig unset = new StreamsConfig(Rollups.properties(ConveyorConfig.defaults(), SELF));
        assertThat(unset.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(-1); // the broker's default
        assertThat(unset.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX)).doesNotContainKey("min.insync.replicas");
    }

    @Test
    void usersMayChangeTheDefaults() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set("kafka.streams.num.stream.threads", "1", "test")
                .set("kafka.streams.commit.interval.ms", "1000", "test")
                .set("kafka.streams.producer.batch.size", "16384", "test")
                .build();
        Properties props = Rollups.properties(config, SELF);
        assertThat(props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).hasToString("1");
        assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).hasToString("1000");
        assertThat(props.get(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG)))
                .hasToString("16384");
    }

    @Test
    void anotherProcessingGuaranteeIsRefusedWithWhatToDo() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set("kafka.streams.processing.guarantee", "at_least_once", "test")
                .build();
        assertThatThrownBy(() -> Rollups.properties(config, SELF))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("exactly_once_v2")
                .hasMessageContaining("at_least_once")
                .hasMessageContaining("Remove the setting");
    }
}
