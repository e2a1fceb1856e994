package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskResult;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Work of one priority spreads over every worker of a group: in a consumer group of either
 * protocol, each topic's partitions are spread over the members (the range assignor), and a share
 * group hands records to every member. A load bounded by each worker's concurrency (sleep tasks)
 * runs about N times as fast on N workers.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GroupSpreadIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int PARTITIONS = 8;

    @ParameterizedTest(name = "{1} workers, {0}")
    @CsvSource({"consumer, 2", "consumer, 4", "classic, 2", "classic, 4", "share, 2", "share, 4"})
    void everyWorkerRunsAFairShareOfOnePriority(String mode, int workers, KafkaBroker broker) throws Exception {
        ConveyorConfig config = config(broker, mode, 2);
        List<String> ids;
        Map<String, Long> perWorker;
        try (Group group = Group.start(broker, config, workers)) {
            ids = submit(broker, config, 100 * workers, 20);
            perWorker = group.awaitAll(ids).stream()
                    .collect(Collectors.groupingBy(TaskResult::workerId, TreeMap::new, Collectors.counting()));
        }
        long fairShare = ids.size() / workers;
        System.out.printf(
                "%s, %d workers: tasks run per worker %s (a fair share is %d)%n", mode, workers, perWorker, fairShare);
        assertThat(perWorker).hasSize(workers);
        assertThat(perWorker.values())
                .as("tasks each worker ran, of %d (no worker under half of a fair share, %d)", ids.size(), fairShare)
                .allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(fairShare / 2));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"consumer", "classic", "share"})
    void fourWorkersRunAConcurrencyBoundLoadAtLeastThreeTimesAsFastAsOne(String mode, KafkaBroker broker)
            throws Exception {
        ConveyorConfig config = config(broker, mode, 4);
        double one = rate(broker, config, 1);
        double four = rate(broker, config, 4);
        System.out.printf(
                "%s: sleep(50 ms) tasks at concurrency 4: 1 worker %.1f tasks/s, 4 workers %.1f tasks/s (%.2fx)%n",
                mode, one, four, four / one);
        assertThat(four / one).as("4 workers' tasks/s over one worker's").isGreaterThanOrEqualTo(3.0);
    }

    /** Tasks per second from the first finish to the last, with {@code workers} workers. */
    private static double rate(KafkaBroker broker, ConveyorConfig base, int workers) throws Exception {
        ConveyorConfig config = base.toBuilder()
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("rate"))
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("rate-g"))
                .build();
        TestClients.provision(broker.bootstrapServers(), config.topics());
        try (Group group = Group.start(broker, config, workers)) {
            List<String> ids = submit(broker, config, 160 * workers, 50);
            List<TaskResult> done = group.awaitAll(ids);
            List<Long> finished = done.stream()
                    .map(r -> r.finishedAt().toEpochMilli())
                    .sorted()
                    .toList();
            double seconds = (finished.getLast() - finished.getFirst()) / 1000.0;
            return (finished.size() - 1) / seconds;
        }
    }

    private static ConveyorConfig config(KafkaBroker broker, String mode, int concurrency) {
        ConveyorConfig.Builder builder = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("spread"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, PARTITIONS)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("spread-g"))
                .set(ConveyorConfig.WORKER_CONCURRENCY, concurrency)
                .set(ConveyorConfig.WORKER_MODE, mode.equals("share") ? "share" : "group");
        if (mode.equals("classic")) {
            builder.set("kafka.consumer.group.protocol", "classic", "test");
        }
        ConveyorConfig config = builder.build();
        TestClients.provision(broker.bootstrapServers(), config.topics());
        return config;
    }

    /** Writes {@code count} sleep tasks of normal priority, spread over its partitions. */
    private static List<String> submit(KafkaBroker broker, ConveyorConfig config, int count, int sleepMs)
            throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = TestClients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                Task t = Task.builder("sleep")
                        .payload(Json.mapper().readTree("{\"ms\":" + sleepMs + "}"))
                        .key("k" + i)
                        .priority(Priority.NORMAL)
                        .build();
                ids.add(t.id());
                TestClients.send(producer, config.topics(), t);
            }
            producer.flush();
        }
        return ids;
    }

    /** Workers that have all been given their share of the partitions. */
    private record Group(List<Worker> workers, ResultsProbe results) implements AutoCloseable {
        static Group start(KafkaBroker broker, ConveyorConfig config, int n) {
            List<Worker> workers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                workers.add(Worker.start(
                        config.toBuilder()
                                .set(ConveyorConfig.WORKER_ID, "worker-" + i)
                                .build(),
                        HandlerRegistry.discover(),
                        new SimpleMeterRegistry()));
            }
            awaitAssigned(broker, config, n);
            return new Group(
                    workers,
                    new ResultsProbe(broker.bootstrapServers(), config.topics().results()));
        }

        /**
         * Until the group has {@code n} members, each holding what the group's assignor means it
         * to hold, and together every partition of the task topics.
         */
        private static void awaitAssigned(KafkaBroker broker, ConveyorConfig config, int n) {
            String group = config.get(ConveyorConfig.WORKER_GROUP);
            boolean share = config.get(ConveyorConfig.WORKER_MODE).equals("share");
            try (Admin admin = Admin.create(broker.clientConfig())) {
                await().atMost(WAIT).ignoreExceptions().until(() -> {
                    if (share) {
                        var members = admin.describeShareGroups(List.of(group))
                                .all()
                                .get()
                                .get(group)
                                .members();
                        // a member per task topic on each worker
                        return members.size() == 3 * n
                                && members.stream()
                                        .allMatch(m -> !m.assignment()
                                                .topicPartitions()
                                                .isEmpty());
                    }
                    var members = admin.describeConsumerGroups(List.of(group))
                            .all()
                            .get()
                            .get(group)
                            .members();
                    long assigned = members.stream()
                            .map(m -> m.assignment().topicPartitions())
                            .mapToLong(Collection::size)
                            .sum();
                    return members.size() == n
                            && assigned == 4L * PARTITIONS
                            && members.stream()
                                    .noneMatch(m ->
                                            m.assignment().topicPartitions().isEmpty())
                            && members.stream()
                                    .allMatch(m -> m.targetAssignment()
                                            .map(t -> t.topicPartitions()
                                                    .equals(m.assignment().topicPartitions()))
                                            .orElse(true));
                });
            }
        }

        /** Each task's first terminal result, once every task has one. */
        List<TaskResult> awaitAll(List<String> ids) {
            Function<String, TaskResult> first = id -> results.awaitTerminal(id, WAIT);
            return ids.stream().map(first).toList();
        }

        @Override
        public void close() {
            workers.forEach(Worker::close);
            results.close();
        }
    }
}
