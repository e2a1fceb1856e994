package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task records become their {@code QUEUED} changes, whoever wrote them. */
class ArrivalTopologyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Topics TOPICS = new Topics("test", 1, Optional.empty());

    private final TaskCodec codec = new TaskCodec(Clock.fixed(T0, ZoneOffset.UTC));
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> normal;
    private TestInputTopic<byte[], byte[]> high;
    private TestOutputTopic<String, byte[]> results;

    @BeforeEach
    void startDriver(@TempDir Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "arrival-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(ArrivalTopology.build(TOPICS, codec), props, T0);
        normal = driver.createInputTopic(
                TOPICS.tasks(Priority.NORMAL), new ByteArraySerializer(), new ByteArraySerializer());
        high = driver.createInputTopic(
                TOPICS.tasks(Priority.HIGH), new ByteArraySerializer(), new ByteArraySerializer());
        results = driver.createOutputTopic(TOPICS.results(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void aTaskFromTheApiIsQueuedUnderItsOwnIdAndSubmissionTime() throws Exception {
        Task task = codec.readSubmission(
                Json.parse("{\"type\":\"echo\",\"payload\":{\"n\":1},\"priority\":\"high\",\"key\":\"k\"}"
                        .getBytes(StandardCharsets.UTF_8)));
        high.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), codec.encode(task), T0.plusSeconds(3)));

        TestRecord<String, byte[]> out = results.readRecord();
        TaskResult queued = codec.decodeResult(out.value());
        assertThat(out.key()).isEqualTo(task.id());
        assertThat(queued).isEqualTo(TaskResult.queued(task));
        assertThat(queued.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(queued.submittedAt()).isEqualTo(T0);
        assertThat(results.isEmpty()).isTrue();
    }

    @Test
    void aTaskWrittenByAPlainClientGetsTheIdAndTimeTheWorkerGivesIt() throws Exception {
        normal.pipeInput(new TestRecord<>(null, bytes("{\"type\":\"echo\",\"payload\":{\"via\":\"kcat\"}}"), T0));
        Instant written = T0.plusMillis(250);
        normal.pipeInput(new TestRecord<>(null, bytes("{\"type\":\"sleep\",\"payload\":{\"ms\":5}}"), written));

        results.readRecord(); // offset 0
        TestRecord<String, byte[]> out = results.readRecord();
        TaskResult queued = codec.decodeResult(out.value());
        assertThat(out.key()).isEqualTo("test.tasks.normal-0-1");
        assertThat(queued.taskId()).isEqualTo("test.tasks.normal-0-1");
        assertThat(queued.type()).isEqualTo("sleep");
        assertThat(queued.submittedAt()).isEqualTo(written);
        assertThat(out.timestamp()).isEqualTo(written.toEpochMilli());
    }

    @Test
    void undecodableRecordsAreSkippedAndTheNextTaskStillArrives() throws Exception {
        normal.pipeInput(new TestRecord<>(null, bytes("not json"), T0));
        normal.pipeInput(new TestRecord<>(null, bytes("{\"payload\":1}"), T0));
        normal.pipeInput(new TestRecord<>(null, (byte[]) null, T0));
        normal.pipeInput(new TestRecord<>(
                null, bytes("{\"type\":\"echo\",\"payload\":" + JsonNodeFactory.instance.numberNode(7) + "}"), T0));

        TestRecord<String, byte[]> out = results.readRecord();
        assertThat(out.key()).isEqualTo("test.tasks.normal-0-3");
        assertThat(codec.decodeResult(out.value()).status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(results.isEmpty()).isTrue();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
