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
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed with SIGKILL in the middle of 50,000 tasks, then restarted: every task
 * still reaches exactly one terminal status; executions repeated because of the crash are
 * counted and reported.
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
        List<String> ids = produce(broker, config);
        String group = broker.uniqueName("workers");

        try (ResultsProbe results =
                new ResultsProbe(broker.bootstrapServers(), config.topics().results())) {
            Process first = worker(broker, config, group, logs.resolve("first.log"));
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> terminalIds(results.poll()).size() >= TASKS / 5);
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no commit, no leave-group
            int beforeCrash = terminalIds(results.poll()).size();

            Process second = worker(broker, config, group, logs.resolve("second.log"));
            try {
                await().atMost(Duration.ofSeconds(240))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> terminalIds(results.poll()).containsAll(ids));
            } finally {
                second.destroy();
                second.waitFor();
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
            System.out.printf(
                    "SIGKILL after %d of %d tasks finished: all %d ended SUCCEEDED; %d started more than once,"
                            + " %d finished more than once (at-least-once; the status table merges them)%n",
                    beforeCrash, TASKS, TASKS, startedTwice, finishedTwice);
            assertThat(ids)
                    .allSatisfy(id -> assertThat(terminals.get(id))
                            .isNotEmpty()
                            .extracting(TaskResult::status)
                            .containsOnly(TaskStatus.SUCCEEDED));
            assertThat(finishedTwice).isLessThan(TASKS);
        }
    }

    private static List<String> produce(KafkaBroker broker, ConveyorConfig config) throws Exception {
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        TaskCodec codec = new TaskCodec();
        List<String> ids = new ArrayList<>(TASKS);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            var payload = Json.mapper().readTree("{\"ms\":10}");
            for (int i = 0; i < TASKS; i++) {
                Task t = Task.builder("sleep").payload(payload).build();
                ids.add(t.id());
                producer.send(new ProducerRecord<>(config.topics().tasks(Priority.NORMAL), null, codec.encode(t)));
            }
            producer.flush(); // every task acknowledged by Kafka: accepted
        }
        return ids;
    }

    private static Process worker(KafkaBroker broker, ConveyorConfig config, String group, Path log) throws Exception {
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
                "worker.concurrency=100");
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(new File("."))
                .start();
    }

    private static long committed(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                .filter(o -> o != null)
                .mapToLong(o -> o.offset())
                .sum();
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
