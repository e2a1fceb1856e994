package io.conveyor.bench.rollups;

import io.conveyor.bench.worker.JitCpu;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Measures a started Kafka Streams application of a row ({@link RowMain}) from its own metrics,
 * while all its stream threads process ({@link #measure}). One per pass; used by the row's main
 * thread only.
 */
final class StreamsWindow {
    private final KafkaStreams streams;
    /** The topic the application reads its records from (results; the normal task topic for the arrivals). */
    private final String source;

    private final int partitions;
    private final Admin admin;
    /** The {@code records-lag} metrics, by client id and partition: looked up once, then only read. */
    private final Map<String, Metric> lags = new HashMap<>();

    StreamsWindow(KafkaStreams streams, String source, int partitions, Admin admin) {
        this.streams = streams;
        this.source = source;
        this.partitions = partitions;
        this.admin = admin;
    }

    /**
     * The measured window of a started Kafka Streams application: while all its stream threads
     * process. It opens once every partition of {@code source} (results; the normal task topic for
     * the arrivals) is some stream thread's and each of those threads has processed a record, and
     * closes when the first of them has fetched all of its partitions ({@code records-lag} 0 on
     * each: what it still holds is at most a buffer); the records are those the threads processed
     * in between ({@code process-total}, less the window parts they read back from the repartition
     * topic). The pass goes on until the group has committed every record, and the window's {@code
     * readingNanos} runs from the first record read to then (the whole-pass rate). If a thread got
     * through its share before another started, there is no window (0 records); {@code RowMain}
     * runs such a pass again.
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
    Window measure(String pass, String applicationId, long records) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (processed() == 0) {
            alive(deadline);
            Thread.sleep(5);
        }
        long reading = System.nanoTime();
        long readingJit = JitCpu.nanos();
        List<Metric> threads = List.of();
        boolean overlap = true;
        while (threads.isEmpty() || !threads.stream().allMatch(t -> value(t) > 0)) {
            alive(deadline);
            Thread.sleep(5);
            threads = processTotals();
            if (someFetchedAll()) {
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
            long before = processed(threads) - repartitioned();
            Protocol.mark("start", pass);
            while (!someFetchedAll()) {
                alive(deadline);
                Thread.sleep(5);
            }
            nanos = System.nanoTime() - start;
            cpu = Protocol.subjectCpuNanos() - startCpu;
            jit = JitCpu.nanos() - startJit;
            measured = processed(threads) - repartitioned() - before;
            Protocol.mark("end", pass);
        }
        while (committed(applicationId) < records) {
            alive(deadline);
            Thread.sleep(20);
        }
        long whole = System.nanoTime() - reading;
        return new Window(measured, nanos, cpu, jit, whole, JitCpu.nanos() - readingJit);
    }

    /**
     * Records the stream threads' consumers read from repartition topics (the windows' parts and
     * progress), which their {@code process-total} counts too. Looked up twice a pass.
     */
    private long repartitioned() {
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
    private List<Metric> processTotals() {
        Map<String, Set<TopicPartition>> owned = owned(ThreadMetadata::threadName);
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
    private Map<String, Set<TopicPartition>> owned(Function<ThreadMetadata, String> key) {
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
    private boolean someFetchedAll() {
        Map<String, Set<TopicPartition>> owned = owned(ThreadMetadata::consumerClientId);
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
    private long processed() {
        return processed(streams.metrics().values().stream()
                .filter(m -> m.metricName().group().equals("stream-thread-metrics")
                        && m.metricName().name().equals("process-total"))
                .toList());
    }

    private static long processed(List<? extends Metric> processTotals) {
        return processTotals.stream().mapToLong(StreamsWindow::value).sum();
    }

    /** A counting metric's value. */
    private static long value(Metric metric) {
        return (long) ((Number) metric.metricValue()).doubleValue();
    }

    private void alive(long deadline) {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.ERROR
                || state == KafkaStreams.State.PENDING_ERROR
                || state == KafkaStreams.State.NOT_RUNNING
                || System.nanoTime() > deadline) {
            throw new IllegalStateException(
                    "the row did not get through its records in 2 minutes (state " + state + ")");
        }
    }

    private long committed(String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet().stream()
                .filter(e -> e.getKey().topic().equals(source) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset())
                .sum();
    }
}
