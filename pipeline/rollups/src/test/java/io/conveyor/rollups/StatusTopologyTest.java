package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.Json;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task-status topology on {@link TopologyTestDriver}: the results topic folded per task id with
 * {@link TaskResult#merge}, with a fixed wall clock and explicit record timestamps.
 */
class StatusTopologyTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Topics TOPICS = new Topics("test", 1, java.util.Optional.empty());
    private static final String ID = "task-1";
    private static final Duration RETENTION = Duration.ofDays(7);

    private final TaskCodec codec = new TaskCodec(Clock.fixed(T0, ZoneOffset.UTC));

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> results;
    private KeyValueStore<String, ValueAndTimestamp<TaskResult>> store;

    @BeforeEach
    void startDriver(@TempDir Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "status-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(StatusTopology.build(TOPICS, codec, RETENTION), props, T0);
        results = driver.createInputTopic(
                TOPICS.results(), new StringSerializer(), new ByteArraySerializer(), T0, Duration.ZERO);
        store = driver.getTimestampedKeyValueStore(StatusTopology.STATUS_STORE);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void foldsARetriedTaskIntoItsSuccess() {
        TaskError flaky = new TaskError("java.io.IOException", "connection reset");
        List<TaskResult> life = List.of(
                queued(),
                change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null),
                change(TaskStatus.RETRYING, 1, "w1", at(1), at(2), at(2), flaky),
                change(TaskStatus.RUNNING, 2, "w2", at(5), null, at(5), null),
                succeeded(2, "w2", at(5), at(6)));

        life.forEach(this::publish);

        TaskResult merged = view(ID);
        assertThat(merged.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(merged.attempt()).isEqualTo(2);
        assertThat(merged.workerId()).isEqualTo("w2");
        assertThat(merged.submittedAt()).isEqualTo(T0);
        assertThat(merged.startedAt()).isEqualTo(at(5));
        assertThat(merged.finishedAt()).isEqualTo(at(6));
        assertThat(merged.updatedAt()).isEqualTo(at(6));
        assertThat(tree(merged.result()))
                .isEqualTo(JsonNodeFactory.instance.objectNode().put("ok", true));
        assertThat(merged.error()).isNull();
        assertThat(entries()).hasSize(1);
    }

    @Test
    void showsEachIntermediateStatus() {
        publish(queued());
        assertThat(view(ID).status()).isEqualTo(TaskStatus.QUEUED);

        publish(change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null));
        assertThat(view(ID).status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(view(ID).attempt()).isEqualTo(1);

        publish(change(TaskStatus.RETRYING, 1, "w1", at(1), at(2), at(2), new TaskError("timeout", "took 5 s")));
        TaskResult retrying = view(ID);
        assertThat(retrying.status()).isEqualTo(TaskStatus.RETRYING);
        assertThat(retrying.error()).isEqualTo(new TaskError("timeout", "took 5 s"));
        assertThat(retrying.submittedAt()).isEqualTo(T0);
    }

    @Test
    void aLateRunningChangeDoesNotReopenATerminalStatus() {
        TaskResult success = succeeded(1, "w1", at(1), at(2));
        publish(success);
        publish(change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null));
        publish(queued());

        TaskResult merged = view(ID);
        assertThat(merged.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(merged.attempt()).isEqualTo(1);
        assertThat(merged.finishedAt()).isEqualTo(at(2));
        assertThat(merged.updatedAt()).isEqualTo(at(2));
        assertThat(tree(merged.result())).isEqualTo(success.result());
    }

    @Test
    void theFirstTerminalStatusSticks() {
        TaskResult failed = change(TaskStatus.FAILED, 3, "w1", at(1), at(2), at(2), new TaskError("boom", "gave up"));
        publish(failed);
        publish(succeeded(3, "w2", at(3), at(4)));

        assertThat(view(ID)).isEqualTo(failed);
    }

    @Test
    void aLaterAttemptOutranksAnEarlierOneThatArrivesLate() {
        publish(change(TaskStatus.RUNNING, 2, "w2", at(5), null, at(5), null));
        publish(change(TaskStatus.RETRYING, 1, "w1", at(1), at(2), at(2), new TaskError("x", "y")));

        TaskResult merged = view(ID);
        assertThat(merged.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(merged.attempt()).isEqualTo(2);
        assertThat(merged.startedAt()).isEqualTo(at(5));
        assertThat(merged.error()).isNull();
    }

    @Test
    void unreadableRecordsAreSkippedAndTheTopologyContinues() {
        publish(queued());
        List<byte[]> garbage = List.of(
                "not json".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF},
                new byte[0],
                "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"task-1\",\"type\":\"echo\",\"status\":\"DONE\",\"updatedAt\":\"2026-01-01T00:00:09Z\"}"
                        .getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"task-1\",\"type\":\"echo\",\"status\":\"SUCCEEDED\"}".getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"task-1\",\"type\":\"echo\",\"status\":\"FAILED\",\"attempt\":-1,\"updatedAt\":0}"
                        .getBytes(StandardCharsets.UTF_8),
                "{\"id\":\"task-1\",\"type\":\"echo\",\"status\":\"FAILED\",\"error\":\"x\",\"updatedAt\":0}"
                        .getBytes(StandardCharsets.UTF_8));
        for (byte[] bytes : garbage) {
            results.pipeInput(ID, bytes);
        }
        results.pipeInput(ID, null);
        results.pipeInput(null, codec.encode(succeeded(1, "w1", at(1), at(2))));
        assertThat(view(ID).status()).isEqualTo(TaskStatus.QUEUED);

        publish(change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null));
        publish(succeeded(1, "w1", at(1), at(2)));

        assertThat(view(ID).status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(entries()).extracting(kv -> kv.key).containsExactly(ID);
    }

    @Test
    void theSameChangeTwiceLeavesOneView() {
        TaskResult running = change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null);
        publish(queued());
        publish(running);
        TaskResult once = view(ID);

        publish(running);
        publish(queued());

        assertThat(view(ID)).isEqualTo(once);
        assertThat(entries()).hasSize(1);
    }

    @Test
    void replayingATaskLifeChangesNothing() {
        List<TaskResult> life = List.of(
                queued(),
                change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null),
                succeeded(1, "w1", at(1), at(2)));
        life.forEach(this::publish);
        TaskResult once = view(ID);

        life.forEach(this::publish);

        assertThat(view(ID)).isEqualTo(once);
    }

    @Test
    void keepsOneViewPerTask() {
        publish(queued());
        TaskResult other =
                new TaskResult("task-2", "resize", TaskStatus.QUEUED, 0, null, at(3), null, null, at(3), null, null);
        results.pipeInput(other.taskId(), codec.encode(other), at(3));

        assertThat(view(ID).type()).isEqualTo("echo");
        assertThat(view("task-2")).isEqualTo(other);
        assertThat(view("task-3")).isNull();
        assertThat(entries()).hasSize(2);
    }

    @Test
    void removesViewsWhoseLatestChangeIsOlderThanTheRetention() {
        publish(succeeded(1, "w1", at(1), at(2)));
        TaskResult recent = new TaskResult(
                "task-2",
                "echo",
                TaskStatus.RUNNING,
                1,
                "w1",
                T0,
                T0.plus(Duration.ofDays(3)),
                null,
                T0.plus(Duration.ofDays(3)),
                null,
                null);
        driver.advanceWallClockTime(Duration.ofDays(3));
        publish(recent);

        // 7 days and 1 hour after T0: task-1 (last change at T0 + 2 s) is past the retention
        driver.advanceWallClockTime(Duration.ofDays(4).plusHours(1));
        assertThat(view(ID)).isNull();
        assertThat(view("task-2")).isEqualTo(recent);

        driver.advanceWallClockTime(Duration.ofDays(3));
        assertThat(entries()).isEmpty();
    }

    @Test
    void aRemovalIsATombstoneOnTheChangelogSoARestoreDoesNotBringItBack() {
        publish(succeeded(1, "w1", at(1), at(2)));
        driver.advanceWallClockTime(RETENTION.plusHours(1));

        var changelog = driver.createOutputTopic(
                "status-topology-test-" + StatusTopology.STATUS_STORE + "-changelog",
                new StringDeserializer(),
                new ByteArrayDeserializer());
        List<KeyValue<String, byte[]>> records = changelog.readKeyValuesToList();
        assertThat(records).extracting(kv -> kv.key).containsExactly(ID, ID);
        assertThat(records.getLast().value).isNull();
    }

    @Test
    void aLateChangeOfAForgottenTaskIsNotStoredAgain() {
        publish(succeeded(1, "w1", at(1), at(2)));
        driver.advanceWallClockTime(RETENTION.plusHours(1));
        assertThat(view(ID)).isNull();

        publish(change(TaskStatus.RUNNING, 1, "w1", at(1), null, at(1), null));

        assertThat(view(ID)).isNull();
        assertThat(entries()).isEmpty();
    }

    @Test
    void aViewWithinTheRetentionStays() {
        publish(succeeded(1, "w1", at(1), at(2)));
        driver.advanceWallClockTime(RETENTION.minusMinutes(1));

        assertThat(view(ID).status()).isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void sweepsOftenEnoughForShortAndLongRetentions() {
        assertThat(io.conveyor.rollups.internal.StatusTableProcessor.sweepInterval(Duration.ofSeconds(5)))
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(io.conveyor.rollups.internal.StatusTableProcessor.sweepInterval(Duration.ofMinutes(10)))
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(io.conveyor.rollups.internal.StatusTableProcessor.sweepInterval(Duration.ofDays(7)))
                .isEqualTo(Duration.ofHours(1));
    }

    private void publish(TaskResult change) {
        results.pipeInput(change.taskId(), codec.encode(change), change.updatedAt());
    }

    /** The view of a task in the status store, or null. */
    private TaskResult view(String id) {
        ValueAndTimestamp<TaskResult> stored = store.get(id);
        return stored == null ? null : stored.value();
    }

    private List<KeyValue<String, ValueAndTimestamp<TaskResult>>> entries() {
        List<KeyValue<String, ValueAndTimestamp<TaskResult>>> all = new ArrayList<>();
        try (var it = store.all()) {
            it.forEachRemaining(all::add);
        }
        return all;
    }

    private static TaskResult queued() {
        return new TaskResult(ID, "echo", TaskStatus.QUEUED, 0, null, T0, null, null, T0, null, null);
    }

    private static TaskResult change(
            TaskStatus status,
            int attempt,
            String worker,
            Instant started,
            Instant finished,
            Instant updated,
            TaskError error) {
        return new TaskResult(ID, "echo", status, attempt, worker, T0, started, finished, updated, null, error);
    }

    private static TaskResult succeeded(int attempt, String worker, Instant started, Instant finished) {
        return new TaskResult(
                ID,
                "echo",
                TaskStatus.SUCCEEDED,
                attempt,
                worker,
                T0,
                started,
                finished,
                finished,
                JsonNodeFactory.instance.objectNode().put("ok", true),
                null);
    }

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    /** A result's output as a tree: the status table keeps it as the bytes it came as. */
    private static com.fasterxml.jackson.databind.JsonNode tree(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return node == null ? null : Json.mapper().readTree(Json.jsonBytes(node));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
