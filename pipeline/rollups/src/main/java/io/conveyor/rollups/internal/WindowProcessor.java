package io.conveyor.rollups.internal;

import io.conveyor.core.BoundedLabels;
import io.conveyor.rollups.RollupWindow;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tumbling windows per task type, added up from the {@link Signal.Part}s every results partition
 * sends (parts are keyed, and so partitioned, by type, so each type's windows live in one task).
 * Emits each window once, when it closes: when its end plus the grace is at or before the close
 * time, the least {@link Signal.Progress} of all results partitions (each sends its latest event
 * time, or the wall clock while idle, after its parts). So quiet pipelines still close their
 * windows, while results still being restored or caught up hold them open. A part of a window that
 * has closed already (its results were held up: a broker failed over, a worker's writes waited for
 * Kafka, a results partition looked idle meanwhile) is counted, as late, in the first window still
 * open of its size, and its results counted as re-dated: every result is counted exactly once,
 * whenever it comes, and a window's figures can include results of earlier ones (decision:
 * docs/operations.md, "Windows and late results").
 *
 * <p>State, for exactly-once: the open windows live in memory and are written to the store at
 * every commit ({@link OpenWindows}, {@link CommitHook}); per window size the store also holds the
 * boundary up to which windows are closed. Closing a window forwards it, moves the boundary and
 * deletes it in one transaction; after a restart the open windows are read back from the store, so
 * nothing is counted twice or emitted twice.
 *
 * <p>Also emits, once, an empty window for a type right after its last window with data, so the
 * figures of a type whose traffic stopped fall to zero (not kept across restarts). Not in the
 * transaction of that window, and not within {@link #LATEST_FOR_AT_LEAST_MS} of its commit: readers of
 * {@code conveyor.rollups} that keep the latest window per type ({@code GET /v1/stats}, the
 * gauges) would otherwise never show the window with data when both close together, as they do
 * when windows are closed late (after a start or a restart, or by the idle timeout).
 *
 * <p>Threads: one stream thread owns an instance; the counters are thread-safe.
 */
public final class WindowProcessor implements Processor<String, Signal, String, RollupWindow> {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WindowProcessor.class);
    private static final byte META = 0;

    private final String storeName;
    private final String hookName;
    private final List<Duration> sizes;
    private final long[] sizeMs;
    private final long graceMs;
    private final int resultPartitions;
    private final Counter[] late;
    private final Counter[] redated;

    private ProcessorContext<String, RollupWindow> context;
    private KeyValueStore<Bytes, byte[]> store;
    private final OpenWindows open;
    /**
     * How long after its commit a type's last window with data stays its latest before the empty
     * one follows, at least.
     */
    static final long LATEST_FOR_AT_LEAST_MS = 1_000;

    /** Per size, by type: the last window with data emitted. */
    private final List<Map<String, LastWindow>> lastEmitted = new ArrayList<>();

    private long[] closedBefore;
    private final Map<Integer, Long> progress = new HashMap<>();
    private long waitingSince;
    private boolean warned;
    private BoundedLabels types;

    /**
     * @param resultPartitions partitions of the results topic, each of which must report progress
     *     before a window closes
     * @param late per size, results counted after their window's end
     * @param redated per size, results after their window closed, counted in a later one
     */
    public WindowProcessor(
            String storeName,
            String hookName,
            List<Duration> sizes,
            Duration grace,
            int resultPartitions,
            Counter[] late,
            Counter[] redated) {
        if (sizes.isEmpty() || sizes.size() > 4) {
            throw new IllegalArgumentException("1 to 4 window sizes, but got " + sizes);
        }
        this.storeName = storeName;
        this.hookName = hookName;
        this.sizes = List.copyOf(sizes);
        this.sizeMs = sizes.stream().mapToLong(Duration::toMillis).toArray();
        this.graceMs = grace.toMillis();
        this.resultPartitions = resultPartitions;
        this.late = late.clone();
        this.redated = redated.clone();
        this.open = new OpenWindows(sizeMs);
    }

    @Override
    public void init(ProcessorContext<String, RollupWindow> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        lastEmitted.clear();
        types = new BoundedLabels(BoundedLabels.DEFAULT_MAX_TYPES);
        closedBefore = new long[sizeMs.length];
        for (int i = 0; i < sizeMs.length; i++) {
            lastEmitted.add(new HashMap<>());
            byte[] closed = store.get(metaKey(sizeMs[i]));
            closedBefore[i] =
                    closed == null ? Long.MIN_VALUE : ByteBuffer.wrap(closed).getLong();
        }
        progress.clear();
        warned = false;
        waitingSince = context.currentSystemTimeMs();
        open.attach(store, context.getStateStore(hookName), this::committing);
    }

    @Override
    public void process(Record<String, Signal> record) {
        switch (record.value()) {
            case Signal.Part p -> add(p);
            case Signal.Progress p -> progress(p);
            case null -> {}
        }
    }

    private void add(Signal.Part p) {
        int i = open.indexOf(p.size());
        if (i < 0) {
            return; // from a results side configured with other window sizes (during a rolling change)
        }
        if (p.start() + sizeMs[i] <= closedBefore[i]) {
            // its window went out already: the first one still open takes it (it starts where the
            // closed ones end, a multiple of the size)
            redated[i].increment(p.aggregate().results());
            p.aggregate().allLate();
            open.get(i, closedBefore[i], types.label(p.type())).merge(p.aggregate());
            return;
        }
        late[i].increment(p.aggregate().late());
        open.get(i, p.start(), types.label(p.type())).merge(p.aggregate());
    }

    /** Closes what every results partition has got past; waits while one has not reported yet. */
    private void progress(Signal.Progress p) {
        progress.merge(p.partition(), p.timeMs(), Math::max);
        long closeTime = Long.MAX_VALUE;
        for (int i = 0; i < resultPartitions; i++) {
            Long time = progress.get(i);
            if (time == null) {
                warnIfWaitingLong();
                return;
            }
            closeTime = Math.min(closeTime, time);
        }
        for (long time : progress.values()) {
            closeTime = Math.min(closeTime, time);
        }
        close(closeTime);
    }

    private void warnIfWaitingLong() {
        if (!warned && context.currentSystemTimeMs() - waitingSince > 120_000) {
            warned = true;
            log.warn(
                    "No progress from results partitions {} of 0..{} for 2 minutes: windows cannot close. They may"
                            + " be restoring; or topics.partitions ({}) is more than the results topic has: make"
                            + " them match",
                    missing(),
                    resultPartitions - 1,
                    resultPartitions);
        }
    }

    private List<Integer> missing() {
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < resultPartitions; i++) {
            if (!progress.containsKey(i)) {
                missing.add(i);
            }
        }
        return missing;
    }

    /** Emits every window whose end plus the grace is at or before {@code closeTime}. */
    private void close(long closeTime) {
        for (int i = 0; i < sizeMs.length; i++) {
            long size = sizeMs[i];
            long boundary = Math.floorDiv(closeTime - graceMs, size) * size;
            if (boundary <= closedBefore[i]) {
                continue;
            }
            long now = context.currentSystemTimeMs();
            for (Map.Entry<Long, Map<String, WindowAggregate>> w; (w = open.pollFirst(i, boundary)) != null; ) {
                long start = w.getKey();
                for (Map.Entry<String, WindowAggregate> e : new TreeMap<>(w.getValue()).entrySet()) {
                    emit(e.getValue().toWindow(e.getKey(), sizes.get(i), start));
                    lastEmitted.get(i).put(e.getKey(), new LastWindow(start + size, NOT_COMMITTED));
                }
                emitTrailing(i, start + size, now);
            }
            emitTrailing(i, boundary, now);
            closedBefore[i] = boundary;
            store.put(
                    metaKey(size),
                    ByteBuffer.allocate(Long.BYTES).putLong(boundary).array());
        }
    }

    /**
     * The empty window right after a type's last one, for types whose next window had nothing and
     * ended by {@code upTo}; only {@link #LATEST_FOR_AT_LEAST_MS} after the commit that carried the
     * last one, so that it is the latest one for readers for a while.
     */
    private void emitTrailing(int i, long upTo, long now) {
        Iterator<Map.Entry<String, LastWindow>> it =
                lastEmitted.get(i).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, LastWindow> e = it.next();
            LastWindow last = e.getValue();
            if (last.committedAtMs() != NOT_COMMITTED
                    && now - last.committedAtMs() >= LATEST_FOR_AT_LEAST_MS
                    && last.end() + sizeMs[i] <= upTo) {
                emit(new WindowAggregate().toWindow(e.getKey(), sizes.get(i), last.end()));
                it.remove();
            }
        }
    }

    /** At a commit, before it: what was emitted so far goes out in this commit's transaction. */
    private void committing() {
        long now = context.currentSystemTimeMs();
        for (Map<String, LastWindow> bySize : lastEmitted) {
            bySize.replaceAll(
                    (type, last) -> last.committedAtMs() == NOT_COMMITTED ? new LastWindow(last.end(), now) : last);
        }
    }

    private static final long NOT_COMMITTED = Long.MIN_VALUE;

    /**
     * A type's last window with data: its end, and when the commit that carried it started (wall
     * clock; {@link #NOT_COMMITTED} until then). Readers see it from about then.
     */
    private record LastWindow(long end, long committedAtMs) {}

    private void emit(RollupWindow window) {
        context.forward(new Record<>(window.type(), window, window.end().toEpochMilli()));
    }

    private static Bytes metaKey(long id) {
        return Bytes.wrap(
                ByteBuffer.allocate(1 + Long.BYTES).put(META).putLong(id).array());
    }
}
