package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windows on a real broker, worker-free: results written to {@code conveyor.results} come out
 * as closed windows on {@code conveyor.rollups} with exact counts, each window once, across a
 * restart of the rollups; {@link RollupStats} and its gauges show them.
 */
@ExtendWith(KafkaBrokerExtension.class)
class WindowsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final TaskCodec codec = new TaskCodec();
    private int ids;

    @Test
    void emitsEveryWindowOnceWithExactCountsAcrossARestart(KafkaBroker broker, @TempDir Path stateDir) {
        ConveyorConfig config = config(broker, stateDir);
        provision(broker, config);
        List<RollupWindow> seen = new ArrayList<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        try (var producer = producer(broker);
                var reader = reader(broker)) {
            reader.subscribe(List.of(config.topics().rollups()));
            try (Rollups rollups = Rollups.start(config, registry)) {
                await().atMost(TIMEOUT).until(rollups::isRunning);
                write(producer, config, 20, 3, 2);

                await().atMost(TIMEOUT).untilAsserted(() -> {
                    poll(reader, seen);
                    assertThat(total(seen, "2s", TaskStatus.SUCCEEDED)).isEqualTo(20);
                    assertThat(total(seen, "4s", TaskStatus.SUCCEEDED)).isEqualTo(20);
                });
                assertThat(total(seen, "2s", TaskStatus.FAILED)).isEqualTo(3);
                assertThat(seen.stream()
                                .filter(w -> w.window().equals("2s"))
                                .mapToLong(RollupWindow::retries)
                                .sum())
                        .isEqualTo(2);
                assertThat(seen.stream()
                                .filter(w -> w.window().equals("2s"))
                                .mapToLong(RollupWindow::arrivals)
                                .sum())
                        .isEqualTo(23);
                await().atMost(TIMEOUT)
                        .untilAsserted(() -> assertThat(rollups.windows().latest("echo", "2s"))
                                .isPresent());
                assertThat(rollups.stats().stats().at("/types/echo/2s/type").asText())
                        .isEqualTo("echo");
                assertThat(registry.find("conveyor.rollup.tasks")
                                .tags("type", "echo", "window", "2s", "status", "SUCCEEDED")
                                .gauge())
                        .isNotNull();
            }

            try (Rollups again = Rollups.start(config, new SimpleMeterRegistry())) {
                await().atMost(TIMEOUT).until(again::isRunning);
                write(producer, config, 5, 0, 0);
                await().atMost(TIMEOUT).untilAsserted(() -> {
                    poll(reader, seen);
                    assertThat(total(seen, "2s", TaskStatus.SUCCEEDED)).isEqualTo(25);
                    assertThat(total(seen, "4s", TaskStatus.SUCCEEDED)).isEqualTo(25);
                });
            }
        }
        Set<String> windows = new HashSet<>();
        for (RollupWindow w : seen) {
            assertThat(windows.add(w.type() + "/" + w.window() + "/" + w.start()))
                    .as("emitted once: %s", w)
                    .isTrue();
        }
    }

    private void write(KafkaProducer<String, byte[]> producer, ConveyorConfig config, int ok, int failed, int retried) {
        List<TaskResult> results = new ArrayList<>();
        for (int i = 0; i < ok + failed; i++) {
            Instant now = Instant.now();
            String id = "t" + ++ids;
            results.add(new TaskResult(id, "echo", TaskStatus.QUEUED, 0, null, now, null, null, now, null, null));
            TaskStatus status = i < ok ? TaskStatus.SUCCEEDED : TaskStatus.FAILED;
            Instant submitted = now.minusMillis(30);
            results.add(new TaskResult(
                    id,
                    "echo",
                    status,
                    1,
                    "w1",
                    submitted,
                    now.minusMillis(10),
                    now,
                    now,
                    null,
                    status == TaskStatus.FAILED ? new TaskError("x", "y") : null));
        }
        for (int i = 0; i < retried; i++) {
            Instant now = Instant.now();
            results.add(new TaskResult(
                    "r" + ++ids,
                    "echo",
                    TaskStatus.RETRYING,
                    1,
                    "w1",
                    now,
                    now,
                    now,
                    now,
                    null,
                    new TaskError("x", "y")));
        }
        for (TaskResult r : results) {
            producer.send(new ProducerRecord<>(config.topics().results(), r.taskId(), codec.encode(r)));
        }
        producer.flush();
    }

    private static long total(List<RollupWindow> seen, String window, TaskStatus status) {
        return seen.stream()
                .filter(w -> w.type().equals("echo") && w.window().equals(window))
                .mapToLong(w -> w.tasks(status))
                .sum();
    }

    private static void poll(KafkaConsumer<String, byte[]> reader, List<RollupWindow> seen) {
        reader.poll(Duration.ofMillis(200)).forEach(r -> seen.add(RollupWindow.decode(r.value())));
    }

    private static ConveyorConfig config(KafkaBroker broker, Path stateDir) {
        return ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("t"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 2)
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.ROLLUP_WINDOWS, "2s,4s")
                .set(ConveyorConfig.ROLLUP_GRACE_MS, 500)
                .set(ConveyorConfig.ROLLUP_PUNCTUATE_INTERVAL_MS, 200)
                .set(ConveyorConfig.ROLLUP_IDLE_TIMEOUT_MS, 2_000)
                .set(ConveyorConfig.HTTP_PORT, 0)
                // a restarted instance joins at once instead of waiting 45 s for the old one to time out
                .set("kafka.streams.consumer.session.timeout.ms", "6000", "test")
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

    private static KafkaConsumer<String, byte[]> reader(KafkaBroker broker) {
        Map<String, Object> props = broker.clientConfig();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, broker.uniqueName("reader"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
