package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollups on a real broker: results already on {@code <prefix>.results} are folded into the
 * task-status table, which {@link Rollups#statusLookup()} answers once the streams run.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RollupsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Recent, so that no view is past the status retention (7 days). */
    private static final Instant T0 =
            Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);

    private final TaskCodec codec = new TaskCodec();

    @Test
    void looksUpTheMergedViewOfEachTask(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        ConveyorConfig config = config(broker, stateDir);
        provision(broker, config);
        TaskResult success = result(
                "t-1",
                TaskStatus.SUCCEEDED,
                2,
                "w2",
                T0.plusSeconds(5),
                T0.plusSeconds(6),
                JsonNodeFactory.instance.objectNode().put("ok", true),
                null);
        List<TaskResult> changes = List.of(
                result("t-1", TaskStatus.QUEUED, 0, null, null, null, null, null),
                result("t-1", TaskStatus.RUNNING, 1, "w1", T0.plusSeconds(1), null, null, null),
                result(
                        "t-1",
                        TaskStatus.RETRYING,
                        1,
                        "w1",
                        T0.plusSeconds(1),
                        T0.plusSeconds(2),
                        null,
                        new TaskError("timeout", "too slow")),
                result("t-1", TaskStatus.RUNNING, 2, "w2", T0.plusSeconds(5), null, null, null),
                success,
                // a late duplicate of an earlier change must not reopen the task
                result("t-1", TaskStatus.RUNNING, 1, "w1", T0.plusSeconds(1), null, null, null),
                result("t-2", TaskStatus.QUEUED, 0, null, null, null, null, null),
                result("t-2", TaskStatus.RUNNING, 1, "w1", T0.plusSeconds(3), null, null, null));
        try (var producer = producer(broker)) {
            for (TaskResult change : changes) {
                producer.send(record(config, change.taskId(), codec.encode(change)));
            }
            producer.send(record(config, "t-3", "{not json".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }

        try (Rollups rollups = Rollups.start(config, new SimpleMeterRegistry())) {
            await().atMost(TIMEOUT).until(rollups::isRunning);

            await().atMost(TIMEOUT)
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(find(rollups, "t-1")).contains(success));
            // t-2 may live in another partition, whose task commits (and so shows its views) on its own
            await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> {
                TaskResult running = find(rollups, "t-2").orElseThrow();
                assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
                assertThat(running.workerId()).isEqualTo("w1");
                assertThat(running.submittedAt()).isEqualTo(T0);
            });
            assertThat(find(rollups, "t-3")).isEmpty();
            assertThat(find(rollups, "no-such-task")).isEmpty();
        }
    }

    @Test
    void foldsChangesThatArriveWhileRunning(KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        ConveyorConfig config = config(broker, stateDir);
        provision(broker, config);

        try (Rollups rollups = Rollups.start(config, new SimpleMeterRegistry());
                var producer = producer(broker)) {
            await().atMost(TIMEOUT).until(rollups::isRunning);
            assertThat(find(rollups, "t-1")).isEmpty();

            TaskResult queued = result("t-1", TaskStatus.QUEUED, 0, null, null, null, null, null);
            producer.send(record(config, "t-1", codec.encode(queued)));
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(find(rollups, "t-1")).contains(queued));

            TaskResult failed = result(
                    "t-1",
                    TaskStatus.FAILED,
                    1,
                    "w1",
                    T0.plusSeconds(1),
                    T0.plusSeconds(2),
                    null,
                    new TaskError("java.lang.IllegalStateException", "bad input"));
            producer.send(record(config, "t-1", codec.encode(failed)));
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(find(rollups, "t-1")).contains(failed));
        }
    }

    @Test
    void answersUnavailableUntilTheTableCanBeRead(KafkaBroker broker, @TempDir Path stateDir) {
        ConveyorConfig config = config(broker, stateDir); // topics deliberately not provisioned

        try (Rollups rollups = Rollups.start(config, new SimpleMeterRegistry())) {
            assertThatThrownBy(() -> find(rollups, "t-1"))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(StatusUnavailableException.class)
                    .hasMessageContaining("not available yet")
                    .hasMessageContaining("retry");
            assertThat(rollups.isRunning()).isFalse();
        }
    }

    private static ConveyorConfig config(KafkaBroker broker, Path stateDir) {
        return ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("t"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 2)
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .build();
    }

    private static void provision(KafkaBroker broker, ConveyorConfig config) {
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
        }
    }

    private static KafkaProducer<String, byte[]> producer(KafkaBroker broker) {
        Map<String, Object> props = broker.clientConfig();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static ProducerRecord<String, byte[]> record(ConveyorConfig config, String id, byte[] value) {
        return new ProducerRecord<>(config.topics().results(), id, value);
    }

    private static Optional<TaskResult> find(Rollups rollups, String id) throws Exception {
        return rollups.statusLookup().find(id).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static TaskResult result(
            String id,
            TaskStatus status,
            int attempt,
            String worker,
            Instant started,
            Instant finished,
            JsonNode output,
            TaskError error) {
        Instant updated = finished != null ? finished : started != null ? started : T0;
        return new TaskResult(id, "echo", status, attempt, worker, T0, started, finished, updated, output, error);
    }
}
