package io.conveyor.bench.rollups;

import io.conveyor.bench.worker.JitCpu;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Topics;
import io.conveyor.rollups.Rollups;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * The entry point of a row's JVM, started by {@link BenchMain}: warm-up passes over the warm-up
 * topics until the JIT has settled ({@link #warmUp}), then the measured pass, of {@code mode=raw} (a KafkaConsumer reading every record of the
 * results topic and doing nothing) or {@code mode=rollup} (the rollups from scratch, a fresh
 * application id, until the group has committed every record). Arguments {@code streams.X=Y} go to
 * the rollups as {@code kafka.streams.X}. Figures go to stdout as {@link Protocol} lines.
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
     * service would long be done with. Returns the passes run.
     */
    private int warmUp() throws Exception {
        double settled = Double.parseDouble(args.get("warmJitShare"));
        long least = System.nanoTime() + (long) (Double.parseDouble(args.get("warmSeconds")) * 1e9);
        long most = System.nanoTime() + (long) (Double.parseDouble(args.get("warmMaxSeconds")) * 1e9);
        for (int passes = 1; ; passes++) {
            long jit = JitCpu.nanos();
            long start = System.nanoTime();
            pass("warmup", args.get("warmPrefix"), passes);
            long end = System.nanoTime();
            double share = (JitCpu.nanos() - jit) / (double) (end - start);
            if ((share < settled && end > least) || end > most) {
                return passes;
            }
        }
    }

    private void pass(String pass, String prefix, int warmPasses) throws Exception {
        Topics topics = new Topics(prefix, partitions, Optional.empty());
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topics.results(), p));
        }
        long records = admin
                .listOffsets(tps.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                .all()
                .get()
                .values()
                .stream()
                .mapToLong(o -> o.offset())
                .sum();
        Window window = switch (args.get("mode")) {
            case "raw" -> raw(pass, tps, records);
            case "rollup" -> rollup(pass, prefix, topics, tps, records);
            case "streams" -> streamsFloor(pass, topics, records);
            default -> throw new IllegalArgumentException("mode must be raw, streams or rollup, but was " + args);
        };
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("pass", pass);
        fields.put("records", records);
        fields.put("nanos", window.nanos());
        fields.put("cpuNanos", window.cpuNanos());
        fields.put("jitCpuNanos", window.jitCpuNanos());
        fields.put("warmPasses", warmPasses);
        Protocol.emit(fields);
    }

    /** A measured window: its wall time, the subject's CPU time, and the JIT's CPU time in it. */
    private record Window(long nanos, long cpuNanos, long jitCpuNanos) {}

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
        return new Window(nanos, cpu, JitCpu.nanos() - startJit.get());
    }

    /** The rollups from scratch, until their group has committed every record of the results topic. */
    private Window rollup(String pass, String prefix, Topics topics, List<TopicPartition> tps, long records)
            throws Exception {
        String applicationId = "bench-rollups-" + pass + "-" + UUID.randomUUID();
        Path stateDir = Files.createTempDirectory("bench-rollups-");
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
        try (Rollups rollups = Rollups.create(builder.build(), new SimpleMeterRegistry())) {
            rollups.start(0);
            return untilCommitted(rollups.streams().orElseThrow(), pass, applicationId, topics, records);
        } finally {
            Utils.delete(stateDir.toFile()); // a row runs up to dozens of passes, each with its own state
        }
    }

    /**
     * Kafka Streams' own floor: a topology that reads the results topic and does nothing with the
     * records, with the rollups' exactly-once settings (exactly_once_v2, 100 ms commits), until its
     * group has committed every record. What any Kafka Streams stage costs before it does any work.
     */
    private Window streamsFloor(String pass, Topics topics, long records) throws Exception {
        String applicationId = "bench-streams-" + pass + "-" + UUID.randomUUID();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Path stateDir = Files.createTempDirectory("bench-streams-");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        args.forEach((k, v) -> {
            if (k.startsWith("streams.")) {
                props.put(k.substring("streams.".length()), v);
            }
        });
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.results(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .foreach((k, v) -> {});
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            return untilCommitted(streams, pass, applicationId, topics, records);
        } finally {
            Utils.delete(stateDir.toFile());
        }
    }

    /**
     * The measured window of a started Kafka Streams application: from its first processed record
     * until its group has committed every record of the results topic. (Not from its reaching
     * {@code RUNNING}: with several stream threads, one may have its partitions, and be done with
     * them, before the state says so.)
     */
    private Window untilCommitted(KafkaStreams streams, String pass, String applicationId, Topics topics, long records)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (processed(streams) == 0) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.ERROR
                    || state == KafkaStreams.State.PENDING_ERROR
                    || state == KafkaStreams.State.NOT_RUNNING
                    || System.nanoTime() > deadline) {
                throw new IllegalStateException("the row processed no record in 2 minutes (state " + state + ")");
            }
            Thread.sleep(1);
        }
        long startCpu = Protocol.subjectCpuNanos();
        long startJit = JitCpu.nanos();
        long start = System.nanoTime();
        mark("start", pass);
        while (committed(applicationId, topics) < records) {
            Thread.sleep(20);
        }
        long nanos = System.nanoTime() - start;
        long cpu = Protocol.subjectCpuNanos() - startCpu;
        mark("end", pass);
        return new Window(nanos, cpu, JitCpu.nanos() - startJit);
    }

    /** Records processed so far, by all stream threads (their {@code process-total}). */
    private static double processed(KafkaStreams streams) {
        return streams.metrics().values().stream()
                .filter(m -> m.metricName().group().equals("stream-thread-metrics")
                        && m.metricName().name().equals("process-total"))
                .mapToDouble(m -> ((Number) m.metricValue()).doubleValue())
                .sum();
    }

    private long committed(String group, Topics topics) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(topics.results()) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }

    private static void mark(String mark, String pass) {
        Protocol.emit(Map.of("mark", mark, "pass", pass));
    }
}
