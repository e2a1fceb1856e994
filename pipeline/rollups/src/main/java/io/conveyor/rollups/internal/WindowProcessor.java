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
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tumbling windows per task type over the observations of one partition (observations are keyed,
 * and so partitioned, by type, so each type's windows live in one task). Emits each window once,
 * when it closes: when its end plus the grace is at or before the close time, the least {@link
 * Signal.Progress} of all results partitions (each sends its latest event time, or the wall clock
 * while idle). So quiet pipelines still close their windows, while results still being restored or
 * caught up hold them open and are not dropped.
 *
 * <p>State, for exactly-once: every counted observation is kept in the store (key: event time and
 * offset; value: which windows counted it and where it was late) until every window it belongs to
 * has closed, and per window size the boundary up to which windows are closed. Closing a window
 * forwards it, moves the boundary and deletes the observations in one transaction; after a restart
 * the open windows are rebuilt from the store, so nothing is counted twice or emitted twice. The
 * aggregates themselves live in memory (so no histogram is serialized per record).
 *
 * <p>Also emits, once, an empty window for a type right after its last window with data, so the
 * figures of a type whose traffic stopped fall to zero (not kept across restarts).
 *
 * <p>Threads: one stream thread owns an instance; the counters are thread-safe.
 */
public final class WindowProcessor implements Processor<String, Signal, String, RollupWindow> {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WindowProcessor.class);
    private static final byte META = 0;
    private static final byte OBSERVATION = 1;

    private final String storeName;
    private final List<Duration> sizes;
    private final long[] sizeMs;
    private final long graceMs;
    private final int resultPartitions;
    private final Counter[] late;
    private final Counter[] dropped;

    private ProcessorContext<String, RollupWindow> context;
    private KeyValueStore<Bytes, byte[]> store;
    private final List<TreeMap<Long, Map<String, WindowAggregate>>> open = new ArrayList<>();
    private final List<Map<String, Long>> lastEmittedEnd = new ArrayList<>();
    private long[] closedBefore;
    private long streamTime;
    private final Map<Integer, Long> progress = new HashMap<>();
    private long waitingSince;
    private boolean warned;
    private BoundedLabels types;

    /**
     * @param resultPartitions partitions of the results topic, each of which must report progress
     *     before a window closes
     * @param late per size, results counted after their window's end
     * @param dropped per size, results after their window closed
     */
    public WindowProcessor(
            String storeName,
            List<Duration> sizes,
            Duration grace,
            int resultPartitions,
            Counter[] late,
            Counter[] dropped) {
        if (sizes.isEmpty() || sizes.size() > 4) {
            throw new IllegalArgumentException("1 to 4 window sizes, but got " + sizes);
        }
        this.storeName = storeName;
        this.sizes = List.copyOf(sizes);
        this.sizeMs = sizes.stream().mapToLong(Duration::toMillis).toArray();
        this.graceMs = grace.toMillis();
        this.resultPartitions = resultPartitions;
        this.late = late.clone();
        this.dropped = dropped.clone();
    }

    @Override
    public void init(ProcessorContext<String, RollupWindow> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        open.clear();
        lastEmittedEnd.clear();
        types = new BoundedLabels(BoundedLabels.DEFAULT_MAX_TYPES);
        closedBefore = new long[sizeMs.length];
        streamTime = -1;
        for (int i = 0; i < sizeMs.length; i++) {
            open.add(new TreeMap<>());
            lastEmittedEnd.add(new HashMap<>());
            byte[] closed = store.get(metaKey(sizeMs[i]));
            closedBefore[i] =
                    closed == null ? Long.MIN_VALUE : ByteBuffer.wrap(closed).getLong();
        }
        progress.clear();
        warned = false;
        waitingSince = context.currentSystemTimeMs();
        rebuild();
    }

    private void rebuild() {
        try (KeyValueIterator<Bytes, byte[]> it =
                store.range(observationKey(0, 0), observationKey(Long.MAX_VALUE, -1))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte mask = kv.value[0];
                Observation o = Observation.decode(java.util.Arrays.copyOfRange(kv.value, 1, kv.value.length));
                types.label(o.type());
                streamTime = Math.max(streamTime, o.eventTimeMs());
                for (int i = 0; i < sizeMs.length; i++) {
                    long start = windowStart(o.eventTimeMs(), i);
                    if ((mask & (1 << i)) != 0 && start + sizeMs[i] > closedBefore[i]) {
                        aggregate(i, start, o.type()).add(o, (mask & (1 << (4 + i))) != 0);
                    }
                }
            }
        }
    }

    @Override
    public void process(Record<String, Signal> record) {
        switch (record.value()) {
            case Observation o -> count(o);
            case Signal.Progress p -> progress(p);
            case null -> {}
        }
    }

    private void count(Observation o) {
        long t = o.eventTimeMs();
        streamTime = Math.max(streamTime, t);
        String type = types.label(o.type());
        Observation counted = type.equals(o.type())
                ? o
                : new Observation(type, o.status(), t, o.endToEndUs(), o.queueWaitUs(), o.runUs());
        int mask = 0;
        for (int i = 0; i < sizeMs.length; i++) {
            long start = windowStart(t, i);
            long end = start + sizeMs[i];
            if (end <= closedBefore[i]) {
                dropped[i].increment();
                continue;
            }
            boolean isLate = end <= streamTime;
            if (isLate) {
                late[i].increment();
                mask |= 1 << (4 + i);
            }
            mask |= 1 << i;
            aggregate(i, start, type).add(counted, isLate);
        }
        if (mask != 0) {
            long offset = context.recordMetadata().map(m -> m.offset()).orElse(0L);
            byte[] body = counted.encode();
            byte[] value = new byte[body.length + 1];
            value[0] = (byte) mask;
            System.arraycopy(body, 0, value, 1, body.length);
            store.put(observationKey(t, offset), value);
        }
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
        boolean moved = false;
        for (int i = 0; i < sizeMs.length; i++) {
            long size = sizeMs[i];
            long boundary = Math.floorDiv(closeTime - graceMs, size) * size;
            if (boundary <= closedBefore[i]) {
                continue;
            }
            TreeMap<Long, Map<String, WindowAggregate>> windows = open.get(i);
            Map<String, Long> before = new HashMap<>(lastEmittedEnd.get(i));
            while (!windows.isEmpty() && windows.firstKey() + size <= boundary) {
                Map.Entry<Long, Map<String, WindowAggregate>> w = windows.pollFirstEntry();
                long start = w.getKey();
                for (Map.Entry<String, WindowAggregate> e : new TreeMap<>(w.getValue()).entrySet()) {
                    emit(e.getValue().toWindow(e.getKey(), sizes.get(i), start));
                    lastEmittedEnd.get(i).put(e.getKey(), start + size);
                }
                emitTrailing(i, start + size, before);
            }
            emitTrailing(i, boundary, before);
            closedBefore[i] = boundary;
            store.put(
                    metaKey(size),
                    ByteBuffer.allocate(Long.BYTES).putLong(boundary).array());
            moved = true;
        }
        if (moved) {
            purge();
        }
    }

    /**
     * The empty window right after a type's last one, for types whose next window had nothing. Only
     * after windows emitted by an earlier close ({@code before}), so that a window with data is the
     * latest one for at least a punctuation interval, also when closing jumps ahead.
     */
    private void emitTrailing(int i, long upTo, Map<String, Long> before) {
        Iterator<Map.Entry<String, Long>> it = lastEmittedEnd.get(i).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue().equals(before.get(e.getKey())) && e.getValue() + sizeMs[i] <= upTo) {
                emit(new WindowAggregate().toWindow(e.getKey(), sizes.get(i), e.getValue()));
                it.remove();
            }
        }
    }

    private void emit(RollupWindow window) {
        context.forward(new Record<>(window.type(), window, window.end().toEpochMilli()));
    }

    /** Deletes the observations whose every window has closed. */
    private void purge() {
        long before = Long.MAX_VALUE;
        for (long b : closedBefore) {
            before = Math.min(before, b);
        }
        if (before <= 0) {
            return;
        }
        List<Bytes> done = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.range(observationKey(0, 0), observationKey(before, 0))) {
            while (it.hasNext()) {
                Bytes key = it.next().key;
                if (ByteBuffer.wrap(key.get(), 1, Long.BYTES).getLong() < before) {
                    done.add(key);
                }
            }
        }
        done.forEach(store::delete);
    }

    private WindowAggregate aggregate(int i, long start, String type) {
        return open.get(i)
                .computeIfAbsent(start, s -> new HashMap<>())
                .computeIfAbsent(type, t -> new WindowAggregate());
    }

    private long windowStart(long t, int i) {
        return t - Math.floorMod(t, sizeMs[i]);
    }

    private static Bytes metaKey(long id) {
        return Bytes.wrap(
                ByteBuffer.allocate(1 + Long.BYTES).put(META).putLong(id).array());
    }

    private static Bytes observationKey(long eventTime, long offset) {
        return Bytes.wrap(ByteBuffer.allocate(1 + 2 * Long.BYTES)
                .put(OBSERVATION)
                .putLong(eventTime)
                .putLong(offset)
                .array());
    }
}
