package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.rollups.RollupWindow;
import io.conveyor.rollups.Rollups;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across a crash and a scale-out: a rollup process killed with SIGKILL while it folds
 * the results topic (its open transaction is aborted), restarted on its old state folder while more
 * results arrive, and joined by a second process (fresh state) mid-stream. Afterwards the status
 * table, restored by a new instance from the changelog alone, holds every task with exactly the
 * final status it was given; and the windows on {@code conveyor.rollups} (read-committed), some
 * closed by the two processes and the rest by the fresh instance after it restored them, are each
 * there once and add up to exactly the tasks of each status and the retries written.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RollupCrashIT {
    private static final int PHASE = 5_000; // tasks per phase; about 3.2 results each
    private static final Duration TIMEOUT = Duration.ofSeconds(180);

    @Test
    void aKilledRestartedAndScaledOutRollupCountsEveryTaskOnce(KafkaBroker broker, @TempDir Path dir) throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("crash"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 4)
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.HTTP_PORT, 0)
                .set(ConveyorConfig.ROLLUP_ADVERTISED_URL, "http://127.0.0.1")
                .build();
        TestClients.provision(broker.bootstrapServers(), config.topics());
        long t0 = System.nanoTime();
        TaskLives lives = new TaskLives(broker.uniqueName("task"));
        String group = config.get(ConveyorConfig.ROLLUP_APPLICATION_ID);

        try (var producer = TestClients.producer(broker.bootstrapServers());
                Admin admin = Admin.create(broker.clientConfig());
                WindowSums windows = new WindowSums(config)) {
            lives.write(producer, config.topics(), 0, PHASE);
            producer.flush();
            long firstPhase = endOffsets(admin, config);

            Process first = rollup(config, dir.resolve("state-a"), dir.resolve("a1.log"));
            await().atMost(TIMEOUT)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> committed(admin, group, config) >= firstPhase / 4);
            first.destroyForcibly().waitFor(); // SIGKILL mid-stream: the open transaction is aborted
            long atKill = committed(admin, group, config);
            assertThat(atKill).as("killed mid-stream").isLessThan(firstPhase);
            long killedAt = System.nanoTime();

            lives.write(producer, config.topics(), PHASE, 2 * PHASE); // arrives while no rollup runs
            producer.flush();
            Process restarted = rollup(config, dir.resolve("state-a"), dir.resolve("a2.log"));
            await().atMost(TIMEOUT)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> committed(admin, group, config) > atKill);
            long resumedAt = System.nanoTime();
            Process added = rollup(config, dir.resolve("state-b"), dir.resolve("b.log")); // scale-out mid-stream
            lives.write(producer, config.topics(), 2 * PHASE, 3 * PHASE);
            producer.flush();
            long total = endOffsets(admin, config);
            try {
                await().atMost(TIMEOUT)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> committed(admin, group, config) == total);
            } finally {
                // stopped while the last windows are still open: the fresh instance below restores them
                for (Process p : List.of(restarted, added)) {
                    p.destroy(); // SIGTERM: a clean stop
                    p.waitFor();
                }
            }
            System.out.printf(
                    "SIGKILL after %d of %d results were committed (%.1f s); the restarted process resumed after"
                            + " %.1f s; scaled out to 2; all %d results of %d tasks committed after %.1f s%n",
                    atKill,
                    firstPhase,
                    (killedAt - t0) / 1e9,
                    (resumedAt - killedAt) / 1e9,
                    total,
                    3 * PHASE,
                    (System.nanoTime() - t0) / 1e9);

            ConveyorConfig check = config.toBuilder()
                    .set(ConveyorConfig.ROLLUP_STATE_DIR, dir.resolve("state-check"))
                    .build();
            try (Rollups rollups = Rollups.start(check, new SimpleMeterRegistry())) {
                assertTheTableHoldsExactly(rollups, lives.finals());
                windows.assertExactlyOnce(lives);
            }
        }
    }

    /**
     * The windows on {@code conveyor.rollups} (read-committed) of the smallest size, as read so far:
     * each must be there once (those that count anything), and their counts must add up to exactly
     * the tasks of each final status and the retries written, and stay so for 5 s.
     */
    private static final class WindowSums implements AutoCloseable {
        private final String size;
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Map<String, RollupWindow> windows = new HashMap<>();
        private final List<String> twice = new ArrayList<>();

        WindowSums(ConveyorConfig config) {
            this.size =
                    RollupWindow.label(config.get(ConveyorConfig.ROLLUP_WINDOWS).getFirst());
            this.consumer = new KafkaConsumer<>(
                    Map.of("bootstrap.servers", config.bootstrapServers(), "isolation.level", "read_committed"),
                    new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < config.get(ConveyorConfig.TOPICS_PARTITIONS); p++) {
                partitions.add(new TopicPartition(config.topics().rollups(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        void assertExactlyOnce(TaskLives lives) {
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> sumsMatch(lives));
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> sumsMatch(lives));
            System.out.printf(
                    "%d windows of %s count %s and %d retries, none twice%n",
                    windows.size(), size, lives.counts(), lives.retries());
        }

        private void sumsMatch(TaskLives lives) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                RollupWindow w = RollupWindow.decode(r.value());
                boolean counts = w.terminal() + w.retries() + w.arrivals() > 0;
                if (w.window().equals(size) && counts && windows.put(w.type() + "@" + w.start(), w) != null) {
                    twice.add(w.type() + "@" + w.start());
                }
            });
            Map<TaskStatus, Long> counted = new EnumMap<>(TaskStatus.class);
            for (TaskStatus status : lives.counts().keySet()) {
                counted.put(
                        status,
                        windows.values().stream()
                                .mapToLong(w -> w.tasks(status))
                                .sum());
            }
            assertThat(twice).as("windows emitted twice").isEmpty();
            assertThat(counted).isEqualTo(lives.counts());
            assertThat(windows.values().stream()
                            .mapToLong(RollupWindow::retries)
                            .sum())
                    .isEqualTo(lives.retries());
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** A fresh instance restores the table from the changelog alone and finds every task as given. */
    private static void assertTheTableHoldsExactly(Rollups rollups, Map<String, TaskStatus> finals) throws Exception {
        await().atMost(TIMEOUT).until(rollups::isRunning);
        List<String> ids = new ArrayList<>(finals.keySet());
        List<CompletableFuture<Optional<TaskResult>>> found = new ArrayList<>();
        await().atMost(TIMEOUT)
                .ignoreExceptions()
                .until(() -> rollups.statusLookup()
                        .find(ids.getFirst())
                        .toCompletableFuture()
                        .get()
                        .isPresent());
        for (String id : ids) {
            found.add(rollups.statusLookup().find(id).toCompletableFuture());
        }
        Map<String, TaskStatus> table = new java.util.HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            found.get(i).get().ifPresent(view -> table.put(view.taskId(), view.status()));
        }
        assertThat(table).hasSize(finals.size()).isEqualTo(finals);
        Map<TaskStatus, Long> counts =
                table.values().stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));
        System.out.printf("Status table after the crash and scale-out: %s%n", counts);
    }

    private static Process rollup(ConveyorConfig config, Path stateDir, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "rollup",
                "--bootstrap",
                config.bootstrapServers(),
                "--http-port",
                "0",
                "--set",
                "topics.prefix=" + config.get(ConveyorConfig.TOPICS_PREFIX),
                "--set",
                "topics.partitions=" + config.get(ConveyorConfig.TOPICS_PARTITIONS),
                "--set",
                "rollup.application.id=" + config.get(ConveyorConfig.ROLLUP_APPLICATION_ID),
                "--set",
                "rollup.state.dir=" + stateDir,
                "--set",
                "rollup.advertised.url=http://127.0.0.1",
                "--set",
                // the killed member leaves the group after 6 s (the broker's minimum), not 45 s
                "kafka.streams.consumer.session.timeout.ms=6000");
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(new File("."))
                .start();
    }

    private static List<TopicPartition> partitions(ConveyorConfig config) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < config.get(ConveyorConfig.TOPICS_PARTITIONS); p++) {
            partitions.add(new TopicPartition(config.topics().results(), p));
        }
        return partitions;
    }

    private static long endOffsets(Admin admin, ConveyorConfig config) throws Exception {
        var request = partitions(config).stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
        return admin.listOffsets(request).all().get().values().stream()
                .mapToLong(o -> o.offset())
                .sum();
    }

    /** The results the group has committed (in transactions), over every partition. */
    private static long committed(Admin admin, String group, ConveyorConfig config) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(config.topics().results()) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }
}
