package io.conveyor.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A warning that may come once per record (an unreadable record, say), logged at most once per
 * interval: the first at once, the ones after it counted and summed up in the next line. A burst
 * of garbage then writes a line every interval, not a line per record; the exact counts are in the
 * meters (see {@link Meters}). Thread-safe: any thread may call {@link #warn}.
 */
public final class ThrottledWarning {
    /** How often a warning of one kind is logged at most, unless told otherwise. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextAt;
    private final AtomicLong held = new AtomicLong();

    public ThrottledWarning(Logger log) {
        this(log, DEFAULT_INTERVAL, System::nanoTime);
    }

    /** With its own interval and clock (in nanoseconds, as {@link System#nanoTime()}), for tests. */
    public ThrottledWarning(Logger log, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.nextAt = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Logs {@code format} with {@code args} (SLF4J placeholders; pass no Throwable: a stack per
     * record is what this avoids) if the interval has passed since the last line; else counts it.
     */
    public void warn(String format, Object... args) {
        long now = nanoTime.getAsLong();
        long next = nextAt.get();
        if (now - next < 0 || !nextAt.compareAndSet(next, now + intervalNanos)) {
            held.incrementAndGet();
            return;
        }
        long since = held.getAndSet(0);
        if (since == 0) {
            log.warn(format, args);
        } else {
            Object[] more = Arrays.copyOf(args, args.length + 1);
            more[args.length] = since;
            log.warn(format + " ({} more like it since the last such line were not logged)", more);
        }
    }
}
