package io.conveyor.bench.rollups;

import io.conveyor.bench.worker.JitCpu;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.Topics;
import io.conveyor.rollups.ArrivalTopology;
import io.conveyor.rollups.Rollups;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The entry point of a row's JVM, started by {@link BenchMain}: warm-up passes over the warm-up
 * topics until the JIT has settled ({@link #warmUp}), then the measured pass, of {@code mode=raw} (a KafkaConsumer reading every record of the
 * results topic and doing nothing), {@code mode=streams} (Kafka Streams doing nothing), {@code
 * mode=rollup} (the rollups from scratch, a fresh application id, until the group has committed
 * every record; measured while all their stream threads process, {@link #whileAllThreadsProcess})
 * or {@code mode=arrivals} (the rollups' arrivals alone, over the task topic, measured the same way).
 * Arguments {@code streams.X=Y} go to every Kafka Streams mode as {@code kafka.streams.X}. Figures go to stdout as {@link Protocol} lines.
 */
public final class RowMain {
    private final Map<String, String> args;
    private final String bootstrap;
    private final int partitions;
    private final Admin admin;

    private RowMain(Map<String, String> args) {
        this.args = args;
        this.bootstrap = args.get("bootstrap");
        this.partitions = Integer.parseInt(args.get("partitions"));
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "client.id", Protocol.HARNESS + "-admin"));
    }

    public static void main(String[] argv) throws Exception {
        Thread.currentThread().setName(Protocol.HARNESS + "-main");
        RowMain row = new RowMain(Protocol.parseArgs(argv));
        int warmPasses = row.warmUp();
        row.pass("run", row.args.get("prefix"), warmPasses);
        System.exit(0); // a subject's stray non-daemon thread must not keep the row alive
    }

    /**
     * Warm-up passes over the warm-up topics until the JIT has settled: until a pass spent less than
     * {@code warmJitShare} of its time compiling (JIT threads' CPU time), after at least {@code warmSeconds} of passes, or
     * once {@code warmMaxSeconds} have gone by (the harness's defaults: 5%, 15 s, 120 s). One pass
     * was not enough for the rollups: Kafka Streams, its clients and the rollups are a lot of code,
     * and on 2 cores the JIT still took a fifth of the measured window after one, which a running
     * service would long be done with. The share is taken from a pass's first record read to its
     * end ({@link Window#readingNanos}), not over its measured window (on the small warm-up set a
     * Kafka Streams row's threads may not overlap at all) nor over the whole pass (whose start-up,
     * the group's first assignment waiting 3 s for its members, would water it down). Returns the
     * passes run.
     */
    private int warmUp() throws Exception {
        double settled = Double.parseDouble(args.get("warmJitShare"));
        long least = System.nanoTime() + (long) (Double.parseDouble(args.get("warmSeconds")) * 1e9);
        long most = System.nanoTime() + (long) (Double.parseDouble(args.get("warmMaxSeconds")) * 1e9);
        for (int passes = 1; ; passes++) {
            Window window = pass("warmup", args.get("warmPrefix"), passes);
            long end = System.nanoTime();
            double share = window.readingJitNanos() / (double) Math.max(1, window.readingNanos());
            if ((share < settled && end > least) || end > most) {
                return passes;
            }
        }
    }

    private Window pass(String pass, String prefix, int warmPasses) throws Exception {
        Topics topics = new Topics(prefix, partitions, Optional.empty());
        // the arrivals read tasks (pre-loaded on the normal topic; high and low are empty), the rest results
        String source = args.get("mode").equals("arrivals") ? topics.tasks(Priority.NORMAL) : topics.results();
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(source, p));
        }
        long records = admin
                .listOffsets(tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                .all()
                .get()
                .values()
                .stream()
                .mapToLong(o -> o.offset())
                .sum();
        Window window;
        for (int attempt = 1; ; attempt++) {
            window = switch (args.get("mode")) {
                case "raw" -> raw(pass, tps, records);
                case "rollup" -> rollup(pass, prefix, topics, tps, records);
                case "streams" -> streamsFloor(pass, topics, records);
                case "arrivals" -> arrivals(pass, topics, source, records);
                default ->
                    throw new IllegalArgumentException(
                            "mode must be raw, streams, rollup or arrivals, but was " + args);
            };
            if (!pass.equals("run") || window.records() >= records / 2) {
                break;
            }
            String why = "only " + window.records() + " of " + records
                    + " records were read while every stream thread processed: the threads started too far apart";
            if (attempt == 3) {
                throw new IllegalStateException(why + ", in 3 passes; pre-load more tasks (tasks=...)");
            }
            System.err.println("[row] " + why + "; running the pass again");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pass", pass);
        fields.put("records", window.records());
        fields.put("nanos", window.nanos());
        fields.put("cpuNanos", window.cpuNanos());
        fields.put("jitCpuNanos", window.jitCpuNanos());
        fields.put("wholeRecords", records);
        fields.put("wholeNanos", window.readingNanos());
        fields.put("warmPasses", warmPasses);
        Protocol.emit(fields);
        return window;
    }

    /**
     * A measured window: the records read in it, its wall time, the subject's CPU time, and the
     * JIT's CPU time; and from the pass's first record read to its end, the wall time and the JIT's
     * CPU time (for the warm-up).
     */
    private record Window(
            long records, long nanos, long cpuNanos, long jitCpuNanos, long readingNanos, long readingJitNanos) {}

    /** A consumer on its own thread reads every record and does nothing with them. */
    private Window raw(String pass, List<TopicPartition> tps, long records) throws Exception {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "raw-" + pass);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // as the rollups read
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        AtomicLong start = new AtomicLong();
        AtomicLong startCpu = new AtomicLong();
        AtomicLong startJit = new AtomicLong();
        AtomicLong seen = new AtomicLong();
        Thread reader = Thread.ofPlatform().name("raw-consumer").start(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                while (seen.get() < records) {
                    ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                    if (!batch.isEmpty() && start.get() == 0) {
                        startCpu.set(Protocol.subjectCpuNanos());
                        startJit.set(JitCpu.nanos());
                        start.set(System.nanoTime());
                        mark("start", pass);
                    }
                    seen.addAndGet(batch.count());
                }
            }
        });
        reader.join();
        long nanos = System.nanoTime() - start.get();
        long cpu = Protocol.subjectCpuNanos() - startCpu.get();
        mark("end", pass);
        long jit = JitCpu.nanos() - startJit.get();
        return new Window(records, nanos, cpu, jit, nanos, jit);
    }

    /** The rollups from scratch, until their group has committed every record of the results topic. */
    private Window rollup(String pass, String prefix, Topics topics, List<TopicPartition> tps, long records)
            throws Exception {
        String applicationId = "bench-rollups-" + pass + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory("bench-rollups-");
        ConveyorConfig.Builder builder = rollupConfig(prefix, applicationId, stateDir);
        try (Rollups rollups = Rollups.create(builder.build(), new SimpleMeterRegistry())) {
            rollups.start(0);
            return whileAllThreadsProcess(
                    rollups.streams().orElseThrow(), pass, applicationId, topics.results(), records);
        } finally {
            Utils.delete(stateDir.toFile()); // a row runs up to dozens of passes, each with its own state
        }
    }

    /** The rollups' configuration for a pass, with the row's {@code streams.X} and {@code rollup.X} arguments. */
    private ConveyorConfig.Builder rollupConfig(String prefix, String applicationId, Path stateDir) {
        ConveyorConfig.Builder builder = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, bootstrap)
                .set(ConveyorConfig.TOPICS_PREFIX, prefix)
                .set(ConveyorConfig.TOPICS_PARTITIONS, partitions)
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, applicationId)
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.ROLLUP_ADVERTISED_URL, "http://127.0.0.1");
        args.forEach((k, v) -> {
            if (k.startsWith("streams.")) {
                builder.set("kafka." + k, v, "argument " + k);
            } else if (k.startsWith("rollup.")) {
                builder.set(k, v, "argument " + k);
            }
        });
        return builder;
    }

    /**
     * Kafka Streams' own floor: a topology that reads the results topic and does nothing with the
     * records, with the rollups' settings ({@link Rollups#properties}: exactly_once_v2, 100 ms
     * commits, a stream thread per core), until its group has committed every record. What any
     * Kafka Streams stage costs before it does any work.
     */
    private Window streamsFloor(String pass, Topics topics, long records) throws Exception {
        String applicationId = "bench-streams-" + pass + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory("bench-streams-");
        ConveyorConfig config =
                rollupConfig(topics.prefix(), applicationId, stateDir).build();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.results(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .foreach((k, v) -> {});
        try (KafkaStreams streams =
                new KafkaStreams(builder.build(), Rollups.properties(config, new HostInfo("127.0.0.1", 0)))) {
            streams.start();
            return whileAllThreadsProcess(streams, pass, applicationId, topics.results(), records);
        } finally {
            Utils.delete(stateDir.toFile());
        }
    }

    /**
     * The rollups' arrivals alone ({@link ArrivalTopology}: each task record becomes its task's
     * {@code QUEUED} change on the results topic), with the rollups' settings, until the group has
     * committed every task record. The rest of the rollups never reads the task topics, so this is
     * what a running {@code conveyor rollup} does per task on top of what row (r) measures.
     */
    private Window arrivals(String pass, Topics topics, String source, long records) throws Exception {
        String applicationId = "bench-arrivals-" + pass + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory("bench-arrivals-");
        ConveyorConfig.Builder builder = rollupConfig(topics.prefix(), applicationId, stateDir);
        try (KafkaStreams streams = new KafkaStreams(
                ArrivalTopology.build(topics, new TaskCodec()),
                Rollups.properties(builder.build(), new HostInfo("127.0.0.1", 0)))) {
            streams.start();
            return whileAllThreadsProcess(streams, pass, applicationId, source, records);
        } finally {
            Utils.delete(stateDir.toFile());
        }
    }

    /**
     * The measured window of a started Kafka Streams application: while all its stream threads
     * process. It opens once every partition of {@code source} (results; the normal task topic for the
     * arrivals) is some stream thread's and each of those
     * threads has processed a record, and closes when the first of them has fetched all of its
     * partitions ({@code records-lag} 0 on each: what it still holds is at most a buffer); the
     * records are those the threads processed in between ({@code process-total}, less the window
     * parts they read back from the repartition topic). The pass goes on until the group has
     * committed every record, and the window's {@code readingNanos} runs from the first record read
     * to then (the whole-pass rate). If a thread got through its share before another started,
     * there is no window (0 records); {@link #pass} runs such a pass again.
     *
     * <p>Why not from the first processed record to the last commit: a new application's threads
     * start apart. Each first reads its (new, empty) changelogs, and one of the two threads often
     * took a second or more longer at that than the other (JFR on row (r): its state updater
     * polling); on 300,000 tasks the other thread once processed its whole half, 464,124 records,
     * before this one processed its first. (Whether a late thread joins the group and takes half
     * the partitions over is settled by the harness's broker, which waits for a new group's members
     * as Kafka's default does.) The thread that ran alone was done that much earlier, so the window
     * held two stretches of one thread working, at the start and at the end. That is a new
     * application's start-up, not its throughput, and it came or went from one run to the next
     * (193,000 or 329,000 records/s for the same code).
     */
    private Window whileAllThreadsProcess(
            KafkaStreams streams, String pass, String applicationId, String source, long records) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (processed(streams) == 0) {
            alive(streams, deadline);
            Thread.sleep(5);
        }
        long reading = System.nanoTime();
        long readingJit = JitCpu.nanos();
        Map<String, Metric> lags = new HashMap<>();
        List<Metric> threads = List.of();
        boolean overlap = true;
        while (threads.isEmpty() || !threads.stream().allMatch(t -> value(t) > 0)) {
            alive(streams, deadline);
            Thread.sleep(5);
            threads = processTotals(streams, source);
            if (someFetchedAll(streams, source, lags)) {
                overlap = false; // a thread got through its share before another started: no window
                break;
            }
        }
        long measured = 0;
        long nanos = 0;
        long cpu = 0;
        long jit = 0;
        if (overlap) {
            long startCpu = Protocol.subjectCpuNanos();
            long startJit = JitCpu.nanos();
            long start = System.nanoTime();
            long before = processed(threads) - repartitioned(streams);
            mark("start", pass);
            while (!someFetchedAll(streams, source, lags)) {
                alive(streams, deadline);
                Thread.sleep(5);
            }
            nanos = System.nanoTime() - start;
            cpu = Protocol.subjectCpuNanos() - startCpu;
            jit = JitCpu.nanos() - startJit;
            measured = processed(threads) - repartitioned(streams) - before;
            mark("end", pass);
        }
        while (committed(applicationId, source) < records) {
            alive(streams, deadline);
            Thread.sleep(20);
        }
        long whole = System.nanoTime() - reading;
        return new Window(measured, nanos, cpu, jit, whole, JitCpu.nanos() - readingJit);
    }

    /**
     * Records the stream threads' consumers read from repartition topics (the windows' parts and
     * progress), which their {@code process-total} counts too. Looked up twice a pass.
     */
    private static long repartitioned(KafkaStreams streams) {
        return processed(streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("consumer-fetch-manager-metrics")
                        && e.getKey().name().equals("records-consumed-total")
                        && e.getKey().tags().getOrDefault("topic", "").endsWith("-repartition")
                        && !e.getKey().tags().getOrDefault("client-id", "").endsWith("-restore-consumer"))
                .map(Map.Entry::getValue)
                .toList());
    }

    /**
     * The {@code process-total} of each stream thread that reads partitions of {@code source}, once
     * every such partition is some thread's; else none.
     */
    private List<Metric> processTotals(KafkaStreams streams, String source) {
        Map<String, Set<TopicPartition>> owned = owned(streams, source, ThreadMetadata::threadName);
        if (owned.values().stream().mapToInt(Set::size).sum() != partitions) {
            return List.of();
        }
        List<Metric> threads = new ArrayList<>();
        streams.metrics().forEach((name, metric) -> {
            if (owned.containsKey(name.tags().get("thread-id"))
                    && name.group().equals("stream-thread-metrics")
                    && name.name().equals("process-total")) {
                threads.add(metric);
            }
        });
        return threads.size() == owned.size() ? threads : List.of();
    }

    /**
     * Each stream thread's partitions of {@code source} (of its active tasks), by {@code key}: the thread's
     * name, or its consumer's client id. Threads without any are left out.
     */
    private static Map<String, Set<TopicPartition>> owned(
            KafkaStreams streams, String source, Function<ThreadMetadata, String> key) {
        Map<String, Set<TopicPartition>> owned = new HashMap<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                for (TopicPartition tp : task.topicPartitions()) {
                    if (tp.topic().equals(source)) {
                        owned.computeIfAbsent(key.apply(thread), k -> new HashSet<>())
                                .add(tp);
                    }
                }
            }
        }
        return owned;
    }

    /**
     * Whether some stream thread has fetched all of its partitions of {@code source}: its consumer's {@code
     * records-lag} is 0 on each. The metrics are looked up once ({@code lags}, by client id and
     * partition) and then only read: the harness looks every 5 ms, on the subject's cores.
     */
    private static boolean someFetchedAll(KafkaStreams streams, String source, Map<String, Metric> lags) {
        Map<String, Set<TopicPartition>> owned = owned(streams, source, ThreadMetadata::consumerClientId);
        if (owned.entrySet().stream()
                .anyMatch(t ->
                        t.getValue().stream().anyMatch(tp -> !lags.containsKey(lagKey(t.getKey(), tp.partition()))))) {
            // the topic tag is the topic's name; a deprecated copy of the metric spells it with '_' for '.'
            String tagged = source.replace('.', '_');
            streams.metrics().forEach((name, metric) -> {
                Map<String, String> tags = name.tags();
                if (name.group().equals("consumer-fetch-manager-metrics")
                        && name.name().equals("records-lag")
                        && (tagged.equals(tags.get("topic")) || source.equals(tags.get("topic")))
                        && tags.containsKey("partition")) {
                    lags.put(lagKey(tags.get("client-id"), Integer.parseInt(tags.get("partition"))), metric);
                }
            });
        }
        return owned.entrySet().stream()
                .anyMatch(thread -> thread.getValue().stream().allMatch(tp -> {
                    Metric lag = lags.get(lagKey(thread.getKey(), tp.partition()));
                    return lag != null && value(lag) == 0;
                }));
    }

    private static String lagKey(String clientId, int partition) {
        return clientId + "/" + partition;
    }

    /** Records processed so far, by all stream threads (their {@code process-total}). */
    private static long processed(KafkaStreams streams) {
        return processed(streams.metrics().values().stream()
                .filter(m -> m.metricName().group().equals("stream-thread-metrics")
                        && m.metricName().name().equals("process-total"))
                .toList());
    }

    private static long processed(List<? extends Metric> processTotals) {
        return processTotals.stream().mapToLong(RowMain::value).sum();
    }

    /** A counting metric's value. */
    private static long value(Metric metric) {
        return (long) ((Number) metric.metricValue()).doubleValue();
    }

    private static void alive(KafkaStreams streams, long deadline) {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.ERROR
                || state == KafkaStreams.State.PENDING_ERROR
                || state == KafkaStreams.State.NOT_RUNNING
                || System.nanoTime() > deadline) {
            throw new IllegalStateException(
                    "the row did not get through its records in 2 minutes (state " + state + ")");
        }
    }

    private long committed(String group, String source) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(source) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }

    private static void mark(String mark, String pass) {
        Protocol.emit(Map.of("mark", mark, "pass", pass));
    }
}
