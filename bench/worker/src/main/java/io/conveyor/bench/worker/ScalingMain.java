package io.conveyor.bench.worker;

import io.conveyor.consumers.HandlerRegistry;
import io.conveyor.consumers.Worker;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The scaling benchmark (bench/worker/scaling.sh): tasks per second of a load bounded by each
 * worker's concurrency (sleep tasks, small {@code worker.concurrency}) with 1, 2 and 4 workers of
 * one group, in each group mode, all tasks of one priority; with the share of the tasks the least
 * busy worker ran. The baseline is the same group with one worker, measured in the same run;
 * rounds interleave the rows. Arguments are {@code key=value}; see {@link #DEFAULTS}.
 */
public final class ScalingMain {
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("modes", "consumer,classic,share"),
            Map.entry("workers", "1,2,4"),
            Map.entry("rounds", "3"),
            Map.entry("tasksPerWorker", "800"),
            Map.entry("sleepMs", "50"),
            Map.entry("concurrency", "4"),
            Map.entry("partitions", "8"),
            Map.entry("bootstrap", ""),
            Map.entry("out", "bench/worker/target/scaling-bench.md"));

    /** One measured pass: tasks per second, and the least a worker ran as a fraction of a fair share. */
    private record Pass(double tasksPerSecond, double leastShare) {}

    private final Map<String, String> options;
    private final TaskCodec codec = new TaskCodec();

    private ScalingMain(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(DEFAULTS);
        Protocol.parseArgs(args).forEach((k, v) -> {
            if (!DEFAULTS.containsKey(k)) {
                throw new IllegalArgumentException("unknown option '" + k + "'; known: " + DEFAULTS.keySet());
            }
            options.put(k, v);
        });
        new ScalingMain(options).run();
        System.exit(0);
    }

    private void run() throws Exception {
        String given = options.get("bootstrap");
        EmbeddedKafkaBroker broker = given.isBlank() ? EmbeddedKafkaBroker.start() : null;
        String bootstrap = broker != null ? broker.bootstrapServers() : given;
        List<String> modes = List.of(options.get("modes").split(","));
        List<Integer> counts = List.of(options.get("workers").split(",")).stream()
                .map(String::trim)
                .map(Integer::valueOf)
                .toList();
        Map<String, List<Pass>> passes = new LinkedHashMap<>();
        try {
            for (int round = 1; round <= Integer.parseInt(options.get("rounds")); round++) {
                for (String mode : modes) {
                    for (int n : counts) {
                        Pass pass = pass(bootstrap, mode.trim(), n);
                        log(String.format(
                                Locale.ROOT,
                                "round %d, %s, %d workers: %.1f tasks/s, least worker %.2f of a fair share",
                                round,
                                mode,
                                n,
                                pass.tasksPerSecond(),
                                pass.leastShare()));
                        passes.computeIfAbsent(mode.trim() + "/" + n, k -> new ArrayList<>())
                                .add(pass);
                    }
                }
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
        String table = table(modes, counts, passes);
        System.out.println();
        System.out.println(table);
        Path out = Path.of(options.get("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, table);
        log("table written to " + out);
    }

    private String table(List<String> modes, List<Integer> counts, Map<String, List<Pass>> passes) {
        StringBuilder t = new StringBuilder(String.format(
                Locale.ROOT,
                "Scaling benchmark: sleep(%s ms) tasks of one priority, worker.concurrency=%s, %s partitions;"
                        + " medians of %s interleaved rounds; baseline: one worker of the same group in the same"
                        + " run.%n%n| group | ",
                options.get("sleepMs"),
                options.get("concurrency"),
                options.get("partitions"),
                options.get("rounds")));
        counts.forEach(n -> t.append(n).append(n == 1 ? " worker" : " workers").append(" (tasks/s) | "));
        int most = counts.getLast();
        t.append(most).append(" ÷ 1 | least busy of ").append(most).append(" (share of a fair share) |\n|---|");
        counts.forEach(n -> t.append("---:|"));
        t.append("---:|---:|\n");
        for (String mode : modes) {
            String m = mode.trim();
            t.append("| ")
                    .append(m.equals("share") ? "share group" : m + " protocol")
                    .append(" | ");
            for (int n : counts) {
                t.append(String.format(Locale.ROOT, "%.1f | ", median(passes.get(m + "/" + n), Pass::tasksPerSecond)));
            }
            double one = median(passes.get(m + "/" + counts.getFirst()), Pass::tasksPerSecond);
            double all = median(passes.get(m + "/" + most), Pass::tasksPerSecond);
            t.append(String.format(
                    Locale.ROOT, "%.2f× | %.2f |%n", all / one, median(passes.get(m + "/" + most), Pass::leastShare)));
        }
        return t.toString();
    }

    private static double median(List<Pass> list, java.util.function.ToDoubleFunction<Pass> figure) {
        double[] values = list.stream().mapToDouble(figure).sorted().toArray();
        return values[values.length / 2];
    }

    /** One group of {@code n} workers runs {@code n × tasksPerWorker} tasks. */
    private Pass pass(String bootstrap, String mode, int n) throws Exception {
        String name = "scale-" + UUID.randomUUID().toString().substring(0, 8);
        ConveyorConfig.Builder builder = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, bootstrap)
                .set(ConveyorConfig.TOPICS_PREFIX, name)
                .set(ConveyorConfig.TOPICS_PARTITIONS, options.get("partitions"))
                .set(ConveyorConfig.WORKER_GROUP, name + "-g")
                .set(ConveyorConfig.WORKER_CONCURRENCY, options.get("concurrency"))
                .set(ConveyorConfig.WORKER_MODE, mode.equals("share") ? "share" : "group");
        if (mode.equals("classic")) {
            builder.set("kafka.consumer.group.protocol", "classic", "scaling benchmark");
        }
        ConveyorConfig config = builder.build();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin, Duration.ofSeconds(30))
                    .ensure(config.topics().all());
            List<Worker> workers = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    workers.add(Worker.start(
                            config.toBuilder()
                                    .set(ConveyorConfig.WORKER_ID, "w" + i)
                                    .build(),
                            HandlerRegistry.discover(),
                            new SimpleMeterRegistry()));
                }
                awaitAssigned(admin, config, n, mode.equals("share"));
                int tasks = n * Integer.parseInt(options.get("tasksPerWorker"));
                produce(bootstrap, config, tasks);
                return measure(bootstrap, config, tasks, n);
            } finally {
                workers.forEach(Worker::close);
                admin.deleteTopics(
                        config.topics().all().stream().map(t -> t.name()).toList());
            }
        }
    }

    /** Until every worker holds its share of the partitions (the group is stable). */
    private static void awaitAssigned(Admin admin, ConveyorConfig config, int n, boolean share) throws Exception {
        String group = config.get(ConveyorConfig.WORKER_GROUP);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            try {
                boolean stable;
                if (share) {
                    var members = admin.describeShareGroups(List.of(group))
                            .all()
                            .get()
                            .get(group)
                            .members();
                    stable = members.size() == 3 * n
                            && members.stream()
                                    .noneMatch(m ->
                                            m.assignment().topicPartitions().isEmpty());
                } else {
                    var members = admin.describeConsumerGroups(List.of(group))
                            .all()
                            .get()
                            .get(group)
                            .members();
                    long assigned = members.stream()
                            .mapToLong(m -> m.assignment().topicPartitions().size())
                            .sum();
                    stable = members.size() == n
                            && assigned == 4L * config.topics().partitions()
                            && members.stream()
                                    .noneMatch(m ->
                                            m.assignment().topicPartitions().isEmpty());
                }
                if (stable) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // the group does not exist yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("group " + group + " did not settle on " + n + " workers within 2 minutes");
    }

    private void produce(String bootstrap, ConveyorConfig config, int tasks) throws Exception {
        byte[] payload = ("{\"ms\":" + options.get("sleepMs") + "}").getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < tasks; i++) {
                Task t = Task.builder("sleep")
                        .payload(io.conveyor.core.Json.parse(payload))
                        .key("k" + i)
                        .build();
                producer.send(new ProducerRecord<>(
                        config.topics().tasks(Priority.NORMAL),
                        t.key().getBytes(StandardCharsets.UTF_8),
                        codec.encode(t)));
            }
        }
    }

    /** Reads the results until every task ended: the rate from the first end to the last, and the spread. */
    private Pass measure(String bootstrap, ConveyorConfig config, int tasks, int n) throws Exception {
        Map<String, Long> ends = new HashMap<>();
        Map<String, Integer> perWorker = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of("bootstrap.servers", bootstrap), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < config.topics().partitions(); p++) {
                partitions.add(new TopicPartition(config.topics().results(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (ends.size() < tasks) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(ends.size() + " of " + tasks + " tasks ended in 10 minutes");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TaskResult result = codec.decodeResult(r.value());
                    if (result.status().isTerminal() && !ends.containsKey(result.taskId())) {
                        ends.put(result.taskId(), result.finishedAt().toEpochMilli());
                        perWorker.merge(result.workerId(), 1, Integer::sum);
                    }
                }
            }
        }
        long first = ends.values().stream().mapToLong(Long::longValue).min().orElseThrow();
        long last = ends.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        int least = perWorker.size() < n
                ? 0
                : perWorker.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return new Pass((tasks - 1) * 1000.0 / Math.max(1, last - first), least / (tasks / (double) n));
    }

    private static void log(String message) {
        System.err.println("[scaling] " + message);
    }
}
