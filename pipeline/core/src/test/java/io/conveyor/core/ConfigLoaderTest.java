package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void layersOverrideInOrderDefaultsFileEnvironmentFlags() throws Exception {
        Path file = dir.resolve("conveyor.properties");
        Files.writeString(file, "http.port=7000\nworker.concurrency=10\nworker.queue.capacity=50\n");
        ConveyorConfig config = ConfigLoader.load(
                file,
                Map.of("CONVEYOR_WORKER_CONCURRENCY", "20", "CONVEYOR_WORKER_QUEUE_CAPACITY", "60", "HOME", "/x"),
                Map.of("worker.queue.capacity", "70"));

        assertThat(config.get(ConveyorConfig.HTTP_PORT)).isEqualTo(7000);
        assertThat(config.get(ConveyorConfig.WORKER_CONCURRENCY)).isEqualTo(20);
        assertThat(config.get(ConveyorConfig.WORKER_QUEUE_CAPACITY)).isEqualTo(70);
        assertThat(config.get(ConveyorConfig.TOPICS_PREFIX)).isEqualTo("conveyor");
    }

    @Test
    void rawKafkaSettingsPassThroughPerClientKind() {
        ConveyorConfig config = ConfigLoader.load(
                null,
                Map.of("CONVEYOR_KAFKA_PRODUCER_LINGER_MS", "5", "CONVEYOR_KAFKA_CLIENT_RACK", "r1"),
                Map.of("kafka.bootstrap.servers", "b:9093", "kafka.consumer.max.poll.records", "100"));

        assertThat(config.kafkaProperties(KafkaClientKind.PRODUCER))
                .containsEntry("linger.ms", "5")
                .containsEntry("client.rack", "r1")
                .containsEntry("bootstrap.servers", "b:9093")
                .doesNotContainKey("max.poll.records");
        assertThat(config.kafkaProperties(KafkaClientKind.CONSUMER))
                .containsEntry("max.poll.records", "100")
                .doesNotContainKey("linger.ms");
    }

    @Test
    void errorsNameTheKeyTheValueAndWhereItCameFrom() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CONVEYOR_WORKER_QUEUE_CAPACITY", "-5"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("worker.queue.capacity must be >= 1, but was '-5' "
                        + "(from environment variable CONVEYOR_WORKER_QUEUE_CAPACITY)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("http.port", "eighty")))
                .hasMessage("http.port must be a port number (0-65535), but was 'eighty' (from flag --http.port)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CONVEYOR_WORKER_QEUE_CAPACITY", "5"), Map.of()))
                .hasMessageStartingWith("unknown setting 'worker.qeue.capacity' "
                        + "(from environment variable CONVEYOR_WORKER_QEUE_CAPACITY)");
    }

    @Test
    void crossFieldChecksRunInBuild() {
        assertThatThrownBy(() -> ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of("worker.retry.backoff.ms", "5000", "worker.retry.backoff.max.ms", "100")))
                .hasMessage("worker.retry.backoff.max.ms 100 must not be below worker.retry.backoff.ms 5000");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.properties"), Map.of(), Map.of()))
                .hasMessageContaining("nope.properties does not exist");
    }

    @Test
    void theLaunchersOwnVariablesAreNotSettings() {
        ConveyorConfig config = ConfigLoader.load(
                null,
                Map.of(
                        "CONVEYOR_LOG_LEVEL", "debug",
                        "CONVEYOR_JAVA_OPTS", "-Xmx1g",
                        "CONVEYOR_JAVA_HOME", "/opt/jdk",
                        "CONVEYOR_HOME", "/opt/conveyor"),
                Map.of());
        assertThat(config.get(ConveyorConfig.HTTP_PORT))
                .isEqualTo(ConveyorConfig.HTTP_PORT.parser().apply(ConveyorConfig.HTTP_PORT.defaultValue()));
    }

    @Test
    void environmentNamesMapBothWays() {
        assertThat(ConveyorConfig.WORKER_QUEUE_CAPACITY.environmentVariable())
                .isEqualTo("CONVEYOR_WORKER_QUEUE_CAPACITY");
        assertThat(ConfigLoader.keyOf("CONVEYOR_KAFKA_PRODUCER_LINGER_MS")).isEqualTo("kafka.producer.linger.ms");
    }
}
