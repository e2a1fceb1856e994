package io.conveyor.rollups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.BoundedLabels;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.Meters;
import io.conveyor.core.StatsSource;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskStatus;
import io.conveyor.rollups.internal.RollupReader;
import io.conveyor.rollups.internal.SkippedRecords;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest closed window of every task type and window size, with the {@link CapacityHint}: what
 * {@code GET /v1/stats} answers and the {@code conveyor_rollup_*} gauges read.
 *
 * <p>Fed by reading {@code conveyor.rollups} (read-committed, so only windows of committed
 * transactions), not by this process's own stream tasks: every instance, and an API process without
 * rollups, sees the windows of all types whichever instance closed them, and a restart starts from
 * the windows already on the topic. A type whose latest window is older than the newest window of
 * that size (its traffic stopped) reads as zero in the gauges and the capacity hint.
 *
 * <p>Threads: {@link #accept} and {@link #backlog} are called by the reader thread {@code
 * conveyor-rollup-reader}; everything else from any thread (state is in concurrent maps and
 * volatile fields). The gauges read strong references held here: keep this object while the
 * registry is scraped.
 */
public final class RollupStats implements StatsSource, AutoCloseable {
    private final List<Duration> sizes;
    private final int concurrency;
    private final MeterRegistry registry;
    private final BoundedLabels labels = new BoundedLabels(BoundedLabels.DEFAULT_MAX_TYPES);
    private final Map<String, Slot> latest = new ConcurrentHashMap<>();
    private final Map<String, Instant> newestEnd = new ConcurrentHashMap<>();
    private volatile double backlog = Double.NaN;
    private volatile CapacityHint capacity;
    private volatile RollupReader reader;

    /** The latest window of one type and size; the gauges of that pair read it. */
    private static final class Slot {
        volatile RollupWindow window;

        Slot(RollupWindow window) {
            this.window = window;
        }
    }

    /**
     * @param registry where the gauges go; null for none (an API process that only serves /v1/stats,
     *     so that Prometheus does not see the same figures from every process)
     */
    public RollupStats(List<Duration> sizes, int workerConcurrency, MeterRegistry registry) {
        this.sizes = sizes.stream().sorted().toList();
        this.concurrency = workerConcurrency;
        this.registry = registry;
        this.capacity = recompute();
        if (registry != null) {
            Meters.gauge(registry, Meters.ROLLUP_ARRIVAL_RATE, this, s -> s.capacity.arrivalRatePerSecond());
            Meters.gauge(registry, Meters.ROLLUP_COMPLETION_RATE, this, s -> s.capacity.completionRatePerSecond());
            Meters.gauge(registry, Meters.ROLLUP_BACKLOG, this, s -> s.capacity.backlog());
            Meters.gauge(registry, Meters.ROLLUP_RECOMMENDED_WORKERS, this, s -> s.capacity.recommendedWorkers());
            Meters.gauge(registry, Meters.ROLLUP_DRAIN, this, s -> s.capacity.drainSeconds());
        }
    }

    /**
     * Figures read from {@code conveyor.rollups} (and the worker group's lag) by a reader thread
     * started here; {@link #close()} stops it.
     */
    public static RollupStats start(ConveyorConfig config, MeterRegistry registry) {
        return start(config, registry, new FatalErrors());
    }

    /** As {@link #start(ConveyorConfig, MeterRegistry)}; Kafka refusing the reader goes to {@code fatal}. */
    public static RollupStats start(ConveyorConfig config, MeterRegistry registry, FatalErrors fatal) {
        RollupStats stats = new RollupStats(
                config.get(ConveyorConfig.ROLLUP_WINDOWS), config.get(ConveyorConfig.WORKER_CONCURRENCY), registry);
        stats.reader = RollupReader.start(config, stats::accept, stats::backlog, fatal, new SkippedRecords(registry));
        return stats;
    }

    /** Takes a closed window; an older window than the one held for its type and size is ignored. */
    public void accept(RollupWindow window) {
        String key = window.type() + "\u0000" + window.window();
        newestEnd.merge(window.window(), window.end(), (a, b) -> a.isAfter(b) ? a : b);
        Slot slot = latest.get(key);
        if (slot == null) {
            Slot fresh = new Slot(window);
            slot = latest.putIfAbsent(key, fresh);
            if (slot == null) {
                gauges(fresh, window);
            }
        }
        if (slot != null && !window.start().isBefore(slot.window.start())) {
            slot.window = window;
        }
        capacity = recompute();
    }

    /** Sets the worker group's lag in task records (NaN when unknown). */
    public void backlog(double records) {
        backlog = records;
        capacity = recompute();
    }

    /** The latest window of {@code type} for the window labelled {@code window} ({@code 10s}). */
    public Optional<RollupWindow> latest(String type, String window) {
        Slot slot = latest.get(type + "\u0000" + window);
        return slot == null ? Optional.empty() : Optional.of(slot.window);
    }

    public CapacityHint capacity() {
        return capacity;
    }

    /** Whether the figures have been read up to the end of {@code conveyor.rollups} once. */
    public boolean isReady() {
        RollupReader r = reader;
        return r == null || r.caughtUp();
    }

    /** The latest window of the pair, or an empty one when the type has no window among the newest. */
    private RollupWindow current(Slot slot) {
        RollupWindow w = slot.window;
        Instant newest = newestEnd.get(w.window());
        if (newest == null || !w.end().isBefore(newest)) {
            return w;
        }
        RollupWindow.Latency none = RollupWindow.Latency.empty();
        return new RollupWindow(w.type(), w.size(), newest.minus(w.size()), 0, 0, 0, 0, 0, 0, none, none, none);
    }

    private CapacityHint recompute() {
        Duration size = sizes.getFirst();
        String label = RollupWindow.label(size);
        Instant end = newestEnd.get(label);
        long arrivals = 0;
        long terminal = 0;
        double runTotal = 0;
        long runCount = 0;
        if (end != null) {
            for (Slot slot : latest.values()) {
                RollupWindow w = slot.window;
                if (w.window().equals(label) && w.end().equals(end)) {
                    arrivals += w.arrivals();
                    terminal += w.terminal();
                    if (w.run().count() > 0) {
                        runTotal += w.run().meanSeconds() * w.run().count();
                        runCount += w.run().count();
                    }
                }
            }
        }
        return CapacityHint.of(
                end == null ? null : label,
                end == null ? null : end.minus(size),
                end,
                size.toNanos() / 1e9,
                arrivals,
                terminal,
                runCount == 0 ? Double.NaN : runTotal / runCount,
                backlog,
                concurrency);
    }

    private void gauges(Slot slot, RollupWindow first) {
        if (registry == null) {
            return;
        }
        String type = labels.label(first.type());
        String window = first.window();
        for (TaskStatus status : List.of(TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED)) {
            Meters.gauge(
                    registry, Meters.ROLLUP_TASKS, slot, s -> current(s).tasks(status), type, status.name(), window);
        }
        Meters.gauge(registry, Meters.ROLLUP_RETRIES, slot, s -> current(s).retries(), type, window);
        Meters.gauge(registry, Meters.ROLLUP_DEAD_LETTERS, slot, s -> current(s).deadLetters(), type, window);
        Meters.gauge(registry, Meters.ROLLUP_THROUGHPUT, slot, s -> current(s).throughputPerSecond(), type, window);
        for (String phase : RollupWindow.PHASES) {
            for (double q : RollupWindow.Latency.QUANTILES) {
                Meters.gauge(
                        registry,
                        Meters.ROLLUP_LATENCY,
                        slot,
                        s -> current(s).latency(phase).quantileSeconds(q),
                        type,
                        window,
                        phase,
                        String.valueOf(q));
            }
            Meters.gauge(
                    registry,
                    Meters.ROLLUP_LATENCY_MAX,
                    slot,
                    s -> current(s).latency(phase).maxSeconds(),
                    type,
                    window,
                    phase);
        }
    }

    /**
     * {@code {"windows":["10s","1m"],"types":{"<type>":{"10s":{window},…}},"capacity":{…}}}; each window
     * as on {@code conveyor.rollups} without the sketches, plus {@code "current"}: false when newer
     * windows of that size exist for other types (this type had no traffic since).
     *
     * @throws StatusUnavailableException until the figures were read up to the end of the topic once
     */
    @Override
    public JsonNode stats() {
        if (!isReady()) {
            throw new StatusUnavailableException(
                    "the rollup figures are still being read from the rollups topic; retry shortly", null);
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        var windows = body.putArray("windows");
        sizes.forEach(s -> windows.add(RollupWindow.label(s)));
        Map<String, Map<String, RollupWindow>> byType = new TreeMap<>();
        for (Slot slot : latest.values()) {
            RollupWindow w = slot.window;
            byType.computeIfAbsent(w.type(), t -> new TreeMap<>()).put(w.window(), w);
        }
        ObjectNode types = body.putObject("types");
        byType.forEach((type, perWindow) -> {
            ObjectNode t = types.putObject(type);
            perWindow.forEach((label, w) -> {
                Instant newest = newestEnd.get(label);
                t.set(
                        label,
                        w.toJson(false)
                                .put("current", newest == null || !w.end().isBefore(newest)));
            });
        });
        body.set("capacity", capacity.toJson());
        return body;
    }

    @Override
    public void close() {
        RollupReader r = reader;
        if (r != null) {
            r.close();
        }
    }
}
