package io.conveyor.rollups.internal;

import io.conveyor.rollups.RollupWindow;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * The figures of one open window of one type, or of part of one (what one results partition added
 * since it last sent its part on), built in memory; mergeable, so parts add up exactly. Owned by
 * one stream thread.
 */
final class WindowAggregate {
    private static final byte VERSION = 1;

    private long succeeded;
    private long failed;
    private long cancelled;
    private long retries;
    private long arrivals;
    private long late;
    private final Histogram endToEnd;
    private final Histogram queueWait;
    private final Histogram run;
    /** Changed since the store last got it ({@link OpenWindows}). */
    boolean dirty;

    WindowAggregate() {
        this(Sketches.histogram(), Sketches.histogram(), Sketches.histogram());
    }

    private WindowAggregate(Histogram endToEnd, Histogram queueWait, Histogram run) {
        this.endToEnd = endToEnd;
        this.queueWait = queueWait;
        this.run = run;
    }

    void add(Observation o, boolean isLate) {
        if (isLate) {
            late++;
        }
        switch (o.status()) {
            case QUEUED -> arrivals++;
            case RUNNING -> {}
            case RETRYING -> retries++;
            case SUCCEEDED -> succeeded++;
            case FAILED -> failed++;
            case CANCELLED -> cancelled++;
        }
        record(endToEnd, o.endToEndUs());
        record(queueWait, o.queueWaitUs());
        record(run, o.runUs());
    }

    /** Adds everything {@code other} counted. */
    void merge(WindowAggregate other) {
        succeeded += other.succeeded;
        failed += other.failed;
        cancelled += other.cancelled;
        retries += other.retries;
        arrivals += other.arrivals;
        late += other.late;
        endToEnd.add(other.endToEnd);
        queueWait.add(other.queueWait);
        run.add(other.run);
    }

    /** Counts every result of this as late (a part that came after its own window closed). */
    void allLate() {
        late = results();
    }

    /** How many results this counted (each counts under exactly one of its figures). */
    long results() {
        return succeeded + failed + cancelled + retries + arrivals;
    }

    /** How many of them were late. */
    long late() {
        return late;
    }

    private static void record(Histogram h, long micros) {
        if (micros >= 0) {
            h.recordValue(micros);
        }
    }

    RollupWindow toWindow(String type, Duration size, long startMs) {
        return new RollupWindow(
                type,
                size,
                Instant.ofEpochMilli(startMs),
                succeeded,
                failed,
                cancelled,
                retries,
                arrivals,
                late,
                new RollupWindow.Latency(endToEnd),
                new RollupWindow.Latency(queueWait),
                new RollupWindow.Latency(run));
    }

    /**
     * The binary form (store values, repartitioned parts): version, the six counts, then each
     * histogram as its length and HdrHistogram's plain encoding (empty ones as length 0).
     */
    byte[] encode() {
        Histogram[] sketches = {endToEnd, queueWait, run};
        int capacity = 1 + 6 * Long.BYTES;
        for (Histogram h : sketches) {
            capacity += Integer.BYTES + (h.getTotalCount() == 0 ? 0 : h.getNeededByteBufferCapacity());
        }
        ByteBuffer b = ByteBuffer.allocate(capacity)
                .put(VERSION)
                .putLong(succeeded)
                .putLong(failed)
                .putLong(cancelled)
                .putLong(retries)
                .putLong(arrivals)
                .putLong(late);
        for (Histogram h : sketches) {
            int lengthAt = b.position();
            b.putInt(0);
            if (h.getTotalCount() > 0) {
                int length = h.encodeIntoByteBuffer(b);
                b.putInt(lengthAt, length);
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    static WindowAggregate decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("unknown window aggregate version " + version);
        }
        long[] counts = new long[6];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = b.getLong();
        }
        WindowAggregate a = new WindowAggregate(sketch(b), sketch(b), sketch(b));
        a.succeeded = counts[0];
        a.failed = counts[1];
        a.cancelled = counts[2];
        a.retries = counts[3];
        a.arrivals = counts[4];
        a.late = counts[5];
        return a;
    }

    private static Histogram sketch(ByteBuffer b) {
        int length = b.getInt();
        if (length == 0) {
            return Sketches.histogram();
        }
        Histogram h = Histogram.decodeFromByteBuffer(b.slice(b.position(), length), 0);
        h.setAutoResize(true);
        b.position(b.position() + length);
        return h;
    }
}
