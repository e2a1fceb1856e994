package io.conveyor.bench.rollups;

import io.conveyor.bench.worker.JitCpu;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.Topics;
import io.conveyor.rollups.ArrivalTopology;
import io.conveyor.rollups.Rollups;
import io.conveyor.rollups.StatusTopology;
import io.conveyor.rollups.internal.CommitHook;
import io.conveyor.rollups.internal.StatusTableProcessor;
import io.conveyor.rollups.internal.StatusViewSerde;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * The entry point of a row's JVM, started by {@link BenchMain}: warm-up passes over the warm-up
 * topics until the JIT has settled ({@link #warmUp}), then the measured pass, of {@code mode=raw}
 * (a KafkaConsumer reading every record of the results topic and doing nothing), {@code
 * mode=streams} (Kafka Streams doing nothing), {@code mode=dsl-table} (Kafka Streams' default
 * persistent table, for comparison), {@code mode=decode} (Kafka Streams reading each result as the
 * rollups do, and no more), {@code mode=table} (the rollups' status table alone, {@link
 * StatusTopology}), {@code mode=table-unlogged} and {@code mode=table-memory} (that table without
 * its changelog, on RocksDB or in memory: {@link #statusTable}), {@code mode=rollup} (the rollups
 * from scratch, a fresh application id, until the group has committed every record; measured while
 * all their stream threads process, {@link StreamsWindow}) or {@code mode=arrivals} (the rollups'
 * arrivals alone, over the task topic, measured the same way). Arguments {@code streams.X=Y} go to
 * every Kafka Streams mode as {@code kafka.streams.X}. Figures go to stdout as {@link Protocol} lines.
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
            String mode = args.get("mode");
            window = switch (mode) {
                case "raw" -> raw(pass, tps, records);
                case "rollup" -> rollup(pass, topics, records);
                default -> topologyPass(mode, pass, topics, topology(mode, topics), source, records);
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
                        Protocol.mark("start", pass);
                    }
                    seen.addAndGet(batch.count());
                }
            }
        });
        reader.join();
        long nanos = System.nanoTime() - start.get();
        long cpu = Protocol.subjectCpuNanos() - startCpu.get();
        Protocol.mark("end", pass);
        long jit = JitCpu.nanos() - startJit.get();
        return new Window(records, nanos, cpu, jit, nanos, jit);
    }

    /**
     * The rollups from scratch, as {@code conveyor rollup} runs them ({@link Rollups}), until their
     * group has committed every record of the results topic.
     */
    private Window rollup(String pass, Topics topics, long records) throws Exception {
        return streamsPass("rollups", pass, topics, (config, applicationId) -> {
            try (Rollups rollups = Rollups.create(config, new SimpleMeterRegistry())) {
                rollups.start(0);
                return new StreamsWindow(rollups.streams().orElseThrow(), topics.results(), partitions, admin)
                        .measure(pass, applicationId, records);
            }
        });
    }

    /** The topology of a Kafka Streams mode other than {@code rollup}, built afresh for each pass. */
    private static Topology topology(String mode, Topics topics) {
        return switch (mode) {
            case "streams" -> floor(topics);
            case "dsl-table" -> dslTable(topics);
            case "decode" -> decodeOnly(topics);
            case "table" -> StatusTopology.build(topics, new TaskCodec());
            case "table-unlogged" ->
                statusTable(topics, Stores.persistentTimestampedKeyValueStore(StatusTopology.STATUS_STORE));
            case "table-memory" -> statusTable(topics, Stores.inMemoryKeyValueStore(StatusTopology.STATUS_STORE));
            case "arrivals" -> ArrivalTopology.build(topics, new TaskCodec());
            default ->
                throw new IllegalArgumentException("mode must be raw, rollup, streams, dsl-table, decode, table,"
                        + " table-unlogged, table-memory or arrivals, but was " + mode);
        };
    }

    /**
     * Kafka Streams' own floor: a topology that reads the results topic and does nothing with the
     * records. Run with the rollups' settings ({@link #topologyPass}), it is what any Kafka Streams
     * stage costs before it does any work.
     */
    private static Topology floor(Topics topics) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.results(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .foreach((k, v) -> {});
        return builder.build();
    }

    /**
     * Kafka Streams' default persistent table, for comparison with the rollups' status table: the
     * latest record per key of the results topic, as its bytes (a source KTable in a RocksDB store,
     * with Kafka Streams' record cache and a changelog; nothing read, nothing merged). A reference
     * for a plain DSL table, not a lower bound: the rollups' own table, which also reads and merges
     * each result, measured faster.
     */
    private static Topology dslTable(Topics topics) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.table(
                topics.results(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()),
                Materialized.<byte[], byte[]>as(Stores.persistentKeyValueStore("bench-latest")));
        return builder.build();
    }

    /**
     * The rollups' status table alone ({@link StatusTableProcessor}, as {@link StatusTopology#addTo}
     * runs it) over a store from {@code supplier} without a changelog: a restart would lose the table,
     * so neither is a choice for the product. With the rollups' RocksDB store, it shows what the
     * changelog costs (against (k)); with an in-memory store, what the table's own work costs.
     */
    private static Topology statusTable(Topics topics, KeyValueBytesStoreSupplier supplier) {
        TaskCodec codec = new TaskCodec();
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(
                Stores.timestampedKeyValueStoreBuilder(supplier, Serdes.String(), StatusViewSerde.create(codec))
                        .withLoggingDisabled());
        builder.addStateStore(CommitHook.builder("bench-status-commit"));
        StatusTopology.results(builder, topics, codec)
                .process(
                        () -> new StatusTableProcessor(
                                StatusTopology.STATUS_STORE, "bench-status-commit", StatusTopology.DEFAULT_RETENTION),
                        StatusTopology.STATUS_STORE,
                        "bench-status-commit");
        return builder.build();
    }

    /**
     * The floor plus reading each result as the rollups do ({@code TaskResultSerde}: the key as a
     * string, the value from its JSON), and nothing more: what the rollups pay per record before
     * their status table and windows.
     */
    private static Topology decodeOnly(Topics topics) {
        StreamsBuilder builder = new StreamsBuilder();
        StatusTopology.results(builder, topics, new TaskCodec()).foreach((k, v) -> {});
        return builder.build();
    }

    /**
     * A topology with the rollups' settings ({@link Rollups#properties}: exactly_once_v2, 100 ms
     * commits, a stream thread per core), until its group has committed every record of {@code
     * source}: the floor, the default table, the reading of results alone, the status table alone, or
     * the rollups' arrivals alone ({@link ArrivalTopology}: each task record becomes its task's
     * {@code QUEUED} change on the results topic; the rest of the rollups never reads the task
     * topics, so this is what a running {@code conveyor rollup} does per task on top of what row (r)
     * measures).
     */
    private Window topologyPass(String name, String pass, Topics topics, Topology topology, String source, long records)
            throws Exception {
        return streamsPass(name, pass, topics, (config, applicationId) -> {
            try (KafkaStreams streams =
                    new KafkaStreams(topology, Rollups.properties(config, new HostInfo("127.0.0.1", 0)))) {
                streams.start();
                return new StreamsWindow(streams, source, partitions, admin).measure(pass, applicationId, records);
            }
        });
    }

    /** A Kafka Streams subject's pass, given its configuration and application id. */
    @FunctionalInterface
    private interface StreamsSubject {
        Window run(ConveyorConfig config, String applicationId) throws Exception;
    }

    /** Runs {@code subject} with a fresh application id and state directory, which it removes after. */
    private Window streamsPass(String name, String pass, Topics topics, StreamsSubject subject) throws Exception {
        String applicationId = "bench-" + name + "-" + pass + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory("bench-" + name + "-");
        try {
            return subject.run(config(topics.prefix(), applicationId, stateDir), applicationId);
        } finally {
            Utils.delete(stateDir.toFile()); // a row runs up to dozens of passes, each with its own state
        }
    }

    /** The rollups' configuration for a pass, with the row's {@code streams.X} and {@code rollup.X} arguments. */
    private ConveyorConfig config(String prefix, String applicationId, Path stateDir) {
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
        return builder.build();
    }
}
