package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole rollup topology ({@link Rollups#topology}) fed garbage on the task topics and the
 * results topic, mixed with records of a newer writer: nothing stops it (the driver would throw),
 * each unusable record is counted in {@code conveyor_rollup_skipped_records_total} by topic and
 * reason, and the records it can read are read, unknown fields and all.
 */
class HostileRecordsTopologyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final TaskCodec codec = new TaskCodec(Clock.fixed(T0, ZoneOffset.UTC));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private ConveyorConfig config;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> normal;
    private TestInputTopic<byte[], byte[]> results;
    private TestOutputTopic<String, byte[]> written;
    private KeyValueStore<String, ValueAndTimestamp<TaskResult>> store;

    @BeforeEach
    void startDriver(@TempDir Path stateDir) {
        config = ConveyorConfig.builder()
                .set(ConveyorConfig.TOPICS_PREFIX, "test")
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1)
                .build();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "hostile-records-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(Rollups.topology(config, codec, registry), props, T0);
        normal = driver.createInputTopic(
                config.topics().tasks(Priority.NORMAL), new ByteArraySerializer(), new ByteArraySerializer());
        results = driver.createInputTopic(
                config.topics().results(), new ByteArraySerializer(), new ByteArraySerializer());
        written = driver.createOutputTopic(
                config.topics().results(), new StringDeserializer(), new ByteArrayDeserializer());
        store = driver.getTimestampedKeyValueStore(StatusTopology.STATUS_STORE);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void garbageIsSkippedAndCountedAndWhatCanBeReadIsRead() {
        List<byte[]> garbage = List.of(
                bytes("not json"),
                new byte[] {(byte) 0xC3, 0x28, 0x00, (byte) 0xFF},
                bytes("[1,2]"),
                bytes("{\"type\":7}"),
                bytes("{\"type\":\"echo\",\"runAt\":\"+1000000000-12-31T23:59:59Z\"}"),
                bytes("{\"type\":\"echo\",\"delayMs\":9223372036854775807}"),
                bytes("[".repeat(5_000) + "]".repeat(5_000)),
                new byte[0]);
        for (byte[] value : garbage) {
            normal.pipeInput(bytes("k"), value, T0);
            normal.pipeInput(null, value, T0);
        }
        normal.pipeInput(bytes("k"), null, T0);
        // a newer writer's task: fields this version does not know are ignored
        normal.pipeInput(
                null,
                bytes("{\"type\":\"echo\",\"payload\":1,\"id\":\"new-1\",\"traceId\":\"abc\",\"cost\":{\"cpu\":2}}"),
                T0);

        List<String> arrivals =
                written.readKeyValuesToList().stream().map(kv -> kv.key).toList();
        assertThat(arrivals).containsExactly("new-1");
        assertThat(skipped("tasks", "unreadable")).isEqualTo(2.0 * garbage.size());
        assertThat(skipped("tasks", "no_value")).isEqualTo(1.0);

        String updated = "\"updatedAt\":\"2026-01-01T00:00:01Z\"";
        for (byte[] value : garbage) {
            results.pipeInput(bytes("t-1"), value, T0);
        }
        results.pipeInput(bytes("t-1"), bytes("{\"id\":\"t-1\",\"type\":\"echo\",\"status\":\"SUCCEEDED\"}"), T0);
        results.pipeInput(
                bytes("t-1"), bytes("{\"id\":\"t-1\",\"type\":\"echo\",\"status\":\"DONE\"," + updated + "}"), T0);
        results.pipeInput(
                bytes("t-1"),
                bytes(
                        "{\"id\":\"t-1\",\"type\":\"echo\",\"status\":\"SUCCEEDED\",\"updatedAt\":\"+10000-01-01T00:00:00Z\"}"),
                T0);
        results.pipeInput(bytes("t-1"), null, T0);
        results.pipeInput(null, bytes("{\"id\":\"t-1\",\"type\":\"echo\",\"status\":\"FAILED\"," + updated + "}"), T0);
        results.pipeInput(
                bytes("t-1"),
                bytes("{\"id\":\"t-1\",\"type\":\"echo\",\"status\":\"SUCCEEDED\",\"attempt\":1," + updated
                        + ",\"result\":{\"ok\":true},\"region\":\"eu\",\"spans\":[{\"n\":1}]}"),
                T0);
        driver.advanceWallClockTime(Duration.ofSeconds(1));

        assertThat(skipped("results", "unreadable")).isEqualTo(garbage.size() + 3.0);
        assertThat(skipped("results", "no_value")).isEqualTo(1.0);
        assertThat(skipped("results", "no_key")).isEqualTo(1.0);
        TaskResult view = store.get("t-1").value();
        assertThat(view.status()).as("the newer writer's result, read").isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(store.get("new-1").value().status()).isEqualTo(TaskStatus.QUEUED);
    }

    private double skipped(String topic, String reason) {
        return registry.get("conveyor.rollup.skipped.records")
                .tag("topic", topic)
                .tag("reason", reason)
                .counter()
                .count();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
