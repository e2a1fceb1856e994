package io.conveyor.bench.worker;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Meters;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Row (e), in its own JVM: a Conveyor worker whose handler ({@code sleep 20 ms}, low concurrency)
 * can run {@code concurrency × 50} tasks/s, fed ten times that by a paced producer for a fixed
 * time. The calling thread samples every 10 ms the queue depth and the paused partitions, and
 * every 5 s the heap after a full GC; it compares them with the capacity and the idle heap, and
 * reads the pause and rebalance meters. The producer runs on {@code bench-harness-load}.
 */
final class OverloadRow {
    private static final Duration SAMPLE = Duration.ofMillis(10);
    private static final Duration HEAP_SAMPLE = Duration.ofSeconds(5);
    private static final int OVERLOAD = 10;

    private final String bootstrap;
    private final int partitions;
    private final int concurrency;
    private final Duration duration;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final CpuMeter cpu = new CpuMeter();

    OverloadRow(String bootstrap, int partitions, int concurrency, Duration duration) {
        this.bootstrap = bootstrap;
        this.partitions = partitions;
        this.concurrency = concurrency;
        this.duration = duration;
    }

    /** Handled rate the worker can reach: concurrency / 20 ms. */
    double capacityRate() {
        return concurrency * 1000.0 / Workload.SLEEP_MS;
    }

    Map<String, Object> run(String prefix) throws InterruptedException {
        Topics topics = new Topics(prefix, partitions, Optional.empty());
        int capacity = Integer.parseInt(ConveyorConfig.WORKER_QUEUE_CAPACITY.defaultValue());
        var target = new Subject.Target(bootstrap, topics, prefix + "-group", Workload.SLEEP, concurrency);
        try (ConveyorSubject subject = ConveyorSubject.start(target, String.valueOf(capacity))) {
            MeterRegistry registry = subject.registry();
            awaitAssigned(registry);
            long idleHeap = heapAfterGc();
            double produceRate = OVERLOAD * capacityRate();
            AtomicLong produced = new AtomicLong();
            AtomicBoolean producing = new AtomicBoolean(true);
            Thread load = Thread.ofPlatform()
                    .name(CpuMeter.HARNESS + "-load")
                    .start(() -> produce(topics.tasks(Priority.NORMAL), produceRate, produced, producing));

            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long nextHeap = start + HEAP_SAMPLE.toNanos();
            double completed0 = completed(registry);
            double pauses0 = count(registry, Meters.WORKER_PAUSES.name(), null);
            long cpu0 = cpu.subjectNanos();
            Protocol.emit(Map.of("mark", "start", "pass", "overload"));
            int maxDepth = 0;
            long maxHeap = 0;
            List<String> heapSamples = new ArrayList<>();
            int resumes = 0;
            boolean wasPaused = false;
            int pausedSamples = 0;
            int samples = 0;
            while (System.nanoTime() < end) {
                maxDepth = Math.max(maxDepth, subject.worker().queueDepth());
                boolean paused = !subject.worker().pausedPartitions().isEmpty();
                if (wasPaused && !paused) {
                    resumes++;
                }
                wasPaused = paused;
                pausedSamples += paused ? 1 : 0;
                samples++;
                if (System.nanoTime() >= nextHeap) {
                    long heap = heapAfterGc();
                    heapSamples.add(String.format("%.1f", heap / 1048576.0));
                    maxHeap = Math.max(maxHeap, heap);
                    nextHeap += HEAP_SAMPLE.toNanos();
                }
                Thread.sleep(SAMPLE);
            }
            long seconds = System.nanoTime() - start;
            long cpuNanos = cpu.subjectNanos() - cpu0;
            double handled = completed(registry) - completed0;
            Protocol.emit(Map.of("mark", "end", "pass", "overload"));
            producing.set(false);
            load.join();
            maxHeap = Math.max(maxHeap, heapAfterGc());

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("pass", "overload");
            out.put("seconds", String.format("%.3f", seconds / 1e9));
            out.put("produced", produced.get());
            out.put("produceRate", (long) produceRate);
            out.put("handled", (long) handled);
            out.put("cpuSeconds", String.format("%.3f", cpuNanos / 1e9));
            out.put("capacity", capacity);
            out.put("maxDepth", maxDepth);
            out.put("idleHeapMiB", String.format("%.1f", idleHeap / 1048576.0));
            out.put("maxHeapMiB", String.format("%.1f", maxHeap / 1048576.0));
            out.put("heapEvery5sMiB", String.join(",", heapSamples));
            out.put("pauses", (long) (count(registry, Meters.WORKER_PAUSES.name(), null) - pauses0));
            out.put("resumes", resumes);
            out.put("pausedShare", String.format("%.2f", pausedSamples / (double) samples));
            out.put("revoked", (long) count(registry, Meters.WORKER_REBALANCES.name(), "revoked"));
            out.put("lost", (long) count(registry, Meters.WORKER_REBALANCES.name(), "lost"));
            Protocol.emit(out);
            return out;
        }
    }

    private void produce(String topic, double rate, AtomicLong produced, AtomicBoolean producing) {
        TaskCodec codec = new TaskCodec();
        Map<String, Object> props = ResultWriter.properties(bootstrap, CpuMeter.HARNESS + "-load");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            long start = System.nanoTime();
            long sent = 0;
            while (producing.get()) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
                for (; sent < due; sent++) {
                    Task task = Task.builder(Workload.SLEEP.type())
                            .payload(Workload.SLEEP.payload())
                            .build();
                    producer.send(new ProducerRecord<>(topic, (int) (sent % partitions), null, codec.encode(task)));
                }
                produced.set(sent);
                LockSupport.parkNanos(5_000_000);
            }
        }
    }

    private void awaitAssigned(MeterRegistry registry) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(registry, Meters.WORKER_REBALANCES.name(), "assigned") < partitions
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(1000); // let the first empty fetches settle before the idle heap is taken
    }

    private long heapAfterGc() {
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static double completed(MeterRegistry registry) {
        return registry.find(Meters.TASKS_COMPLETED.name()).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    private static double count(MeterRegistry registry, String name, String kind) {
        var search = registry.find(name);
        if (kind != null) {
            search = search.tag("kind", kind);
        }
        return search.counters().stream().mapToDouble(Counter::count).sum();
    }
}
