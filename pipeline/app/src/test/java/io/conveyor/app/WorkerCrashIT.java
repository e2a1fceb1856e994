package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.infra.kafka.internal.BrokerProperties;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker processes share 50,000 tasks; one is killed with SIGKILL mid-way and restarted at once
 * (as a process manager would): every task still reaches exactly one terminal status, executions
 * repeated because of the crash are counted and reported, and the dead worker's partitions stall
 * only for the brokers' session timeout (the embedded broker's 6 s, not Kafka's 45 s).
 */
@ExtendWith(KafkaBrokerExtension.class)
class WorkerCrashIT {
    private static final int TASKS = 50_000;

    @Test
    void aWorkerKilledMidLoadLosesNothing(KafkaBroker broker, @TempDir Path logs) throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("crash"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 8)
                .build();
        TestClients.provision(broker.bootstrapServers(), config.topics());
        Map<String, Integer> partitionOf = produce(broker, config);
        List<String> ids = List.copyOf(partitionOf.keySet());
        String group = broker.uniqueName("workers");

        try (ResultsProbe results =
                new ResultsProbe(broker.bootstrapServers(), config.topics().results())) {
            Process survivor = worker(broker, config, group, "survivor", logs.resolve("survivor.log"));
            Process first = worker(broker, config, group, "victim", logs.resolve("first.log"));
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> terminalIds(results.poll()).size() >= TASKS / 5);
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no commit, no leave-group
            Instant killed = Instant.now();
            int beforeCrash = terminalIds(results.poll()).size();

            Process second = worker(broker, config, group, "victim", logs.resolve("second.log"));
            try {
                await().atMost(Duration.ofSeconds(240))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> terminalIds(results.poll()).containsAll(ids));
            } finally {
                for (Process p : List.of(second, survivor)) {
                    p.destroy();
                    p.waitFor();
                }
            }

            Map<String, List<TaskResult>> terminals = results.terminals();
            long startedTwice = ids.stream()
                    .filter(id -> results.statuses(id).stream()
                                    .filter(s -> s == TaskStatus.RUNNING)
                                    .count()
                            > 1)
                    .count();
            long finishedTwice =
                    ids.stream().filter(id -> terminals.get(id).size() > 1).count();
            Duration stall = longestPartitionStall(ids, partitionOf, terminals, killed);
            Duration gap = longestGap(ids, terminals, killed);
            System.out.printf(
                    "SIGKILL of one of two workers after %d of %d tasks finished: all %d ended SUCCEEDED; %d started"
                            + " more than once, %d finished more than once (at-least-once; the status table merges"
                            + " them); longest stall of a partition after the kill %d ms, longest gap in all"
                            + " completions %d ms%n",
                    beforeCrash, TASKS, TASKS, startedTwice, finishedTwice, stall.toMillis(), gap.toMillis());
            assertThat(ids)
                    .allSatisfy(id -> assertThat(terminals.get(id))
                            .isNotEmpty()
                            .extracting(TaskResult::status)
                            .containsOnly(TaskStatus.SUCCEEDED));
            assertThat(finishedTwice).isLessThan(TASKS);
            // the dead worker's partitions wait for its session to time out, not for Kafka's 45 s
            assertThat(stall).isLessThan(Duration.ofSeconds(20));
            assertThat(Files.readString(logs.resolve("second.log")))
                    .contains("keeps its partitions for up to " + BrokerProperties.SESSION_TIMEOUT_MS + " ms");
        }
    }

    /**
     * The longest time a partition that still had tasks to finish went without a completion after
     * the kill: for the dead worker's partitions, the wait for its session to time out.
     */
    private static Duration longestPartitionStall(
            List<String> ids, Map<String, Integer> partitionOf, Map<String, List<TaskResult>> terminals, Instant from) {
        Map<Integer, Instant> firstAfter = new HashMap<>();
        for (String id : ids) {
            Instant finished = terminals.get(id).getFirst().finishedAt();
            if (finished.isAfter(from)) {
                firstAfter.merge(partitionOf.get(id), finished, (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        return firstAfter.values().stream()
                .map(t -> Duration.between(from, t))
                .max(Duration::compareTo)
                .orElse(Duration.ZERO);
    }

    /** The longest time without any completion, from {@code from} to the last one. */
    private static Duration longestGap(List<String> ids, Map<String, List<TaskResult>> terminals, Instant from) {
        List<Instant> finished = ids.stream()
                .map(id -> terminals.get(id).getFirst().finishedAt())
                .filter(t -> t.isAfter(from))
                .sorted()
                .toList();
        Duration longest = finished.isEmpty() ? Duration.ZERO : Duration.between(from, finished.getFirst());
        for (int i = 1; i < finished.size(); i++) {
            Duration gap = Duration.between(finished.get(i - 1), finished.get(i));
            if (gap.compareTo(longest) > 0) {
                longest = gap;
            }
        }
        return longest;
    }

    /** Writes the tasks, acknowledged by Kafka; each task's id with its partition. */
    private static Map<String, Integer> produce(KafkaBroker broker, ConveyorConfig config) throws Exception {
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        TaskCodec codec = new TaskCodec();
        Map<String, java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent =
                new java.util.LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            var payload = Json.mapper().readTree("{\"ms\":10}");
            for (int i = 0; i < TASKS; i++) {
                Task t = Task.builder("sleep").payload(payload).build();
                sent.put(
                        t.id(),
                        producer.send(
                                new ProducerRecord<>(config.topics().tasks(Priority.NORMAL), null, codec.encode(t))));
            }
            producer.flush(); // every task acknowledged by Kafka: accepted
        }
        Map<String, Integer> partitionOf = new java.util.LinkedHashMap<>();
        for (var e : sent.entrySet()) {
            partitionOf.put(e.getKey(), e.getValue().get().partition());
        }
        return partitionOf;
    }

    private static Process worker(KafkaBroker broker, ConveyorConfig config, String group, String id, Path log)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "worker",
                "--bootstrap",
                broker.bootstrapServers(),
                "--http-port",
                "0",
                "--set",
                "topics.prefix=" + config.get(ConveyorConfig.TOPICS_PREFIX),
                "--set",
                "worker.group=" + group,
                "--set",
                "worker.concurrency=100",
                "--set",
                "worker.id=" + id);
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(new File("."))
                .start();
    }

    private static Set<String> terminalIds(ResultsProbe results) {
        Set<String> done = new HashSet<>();
        results.terminals().forEach((id, list) -> {
            if (!list.isEmpty()) {
                done.add(id);
            }
        });
        return done;
    }
}
