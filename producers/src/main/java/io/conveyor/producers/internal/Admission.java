package io.conveyor.producers.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control: counts the tasks (and their bytes) the API has accepted for writing and not
 * answered yet, and sheds load between two watermarks with hysteresis. At the high watermark
 * (tasks, or bytes against the producer's buffer) it refuses until both fall below the low one;
 * between the two it accepts but reports {@link #pressure()}. Also refuses everything once {@link
 * #close()} was called.
 *
 * <p>Thread-safe: event loops call {@link #tryAcquire} and {@link #release} concurrently; counters
 * are atomic and the shedding flag is volatile (a request may slip past a flip by one batch, which
 * bounds the overshoot at one batch).
 */
public final class Admission {

    /** The outcome of asking to admit some tasks. */
    public enum Decision {
        ACCEPTED,
        OVERLOADED,
        SHUTTING_DOWN
    }

    private final long high;
    private final long low;
    private final long bytesHigh;
    private final long bytesLow;
    private final AtomicLong tasks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean shedding;
    private volatile boolean closing;

    /**
     * @param low tasks in flight below which a shedding API accepts again
     * @param high tasks in flight at which it starts shedding
     * @param bytesHigh bytes in flight at which it starts shedding (the low mark scales alike)
     */
    public Admission(long low, long high, long bytesHigh) {
        if (low >= high) {
            throw new IllegalArgumentException("low watermark " + low + " must be below high watermark " + high);
        }
        this.low = low;
        this.high = high;
        this.bytesHigh = Math.max(1, bytesHigh);
        this.bytesLow = (long) (this.bytesHigh * ((double) low / high));
    }

    /** Quick check before reading a body: whether a request now would be refused, and why. */
    public Decision peek() {
        if (closing) {
            return Decision.SHUTTING_DOWN;
        }
        return shedding && !recovered() ? Decision.OVERLOADED : Decision.ACCEPTED;
    }

    /**
     * Admits {@code count} tasks of {@code size} bytes in all, or refuses them. An accepted call must
     * be followed by exactly one {@link #release} of the same amounts.
     */
    public Decision tryAcquire(int count, long size) {
        if (closing) {
            return Decision.SHUTTING_DOWN;
        }
        if (shedding) {
            if (!recovered()) {
                return Decision.OVERLOADED;
            }
            shedding = false;
        }
        if (tasks.get() >= high || bytes.get() >= bytesHigh) {
            shedding = true;
            return Decision.OVERLOADED;
        }
        tasks.addAndGet(count);
        bytes.addAndGet(size);
        if (closing) { // close() ran in between: undo, so drained() cannot miss us
            release(count, size);
            return Decision.SHUTTING_DOWN;
        }
        return Decision.ACCEPTED;
    }

    public void release(int count, long size) {
        long left = tasks.addAndGet(-count);
        bytes.addAndGet(-size);
        if (left == 0 && closing) {
            drained.complete(null);
        }
    }

    private boolean recovered() {
        return tasks.get() < low && bytes.get() < bytesLow;
    }

    /** In-flight tasks (or bytes) as a fraction of the high watermark. */
    public double pressure() {
        return Math.max((double) tasks.get() / high, (double) bytes.get() / bytesHigh);
    }

    /** Whether answers should carry the pressure header: above the low watermark, or shedding. */
    public boolean underPressure() {
        return shedding || tasks.get() > low || bytes.get() > bytesLow;
    }

    public boolean shedding() {
        return shedding;
    }

    public long inflight() {
        return tasks.get();
    }

    public long inflightBytes() {
        return bytes.get();
    }

    public boolean closing() {
        return closing;
    }

    /** Refuses everything from now on; the returned stage completes once nothing is in flight. */
    public CompletableFuture<Void> close() {
        closing = true;
        if (tasks.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }
}
