package io.conveyor.producers.internal;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-client token buckets: each client may submit {@code perSecond} tasks a second, with bursts of
 * up to one second's worth. A batch larger than what is left still passes while the bucket is not
 * empty, and leaves the bucket in debt, so a client cannot be starved by its own batch size nor
 * exceed the rate on average.
 *
 * <p>Memory: one small bucket per client seen recently; {@link #sweep()} (called every second by
 * the server) drops buckets that have refilled, which are indistinguishable from new ones.
 * Thread-safe: each bucket is updated under its own lock.
 */
public final class RateLimiter {
    private final double perSecond;
    private final Clock clock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(int perSecond, Clock clock) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("perSecond must be > 0, but was " + perSecond);
        }
        this.perSecond = perSecond;
        this.clock = clock;
    }

    /** Takes {@code count} tasks from the client's bucket: 0 if allowed, else seconds to wait (>= 1). */
    public long tryAcquire(String client, int count) {
        long now = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(client, c -> new Bucket(perSecond, now));
        synchronized (bucket) {
            bucket.refill(now, perSecond);
            if (bucket.tokens < 1) {
                return Math.max(1, (long) Math.ceil((1 - bucket.tokens) / perSecond));
            }
            bucket.tokens -= count;
            return 0;
        }
    }

    /** Forgets buckets that are full again. */
    public void sweep() {
        long now = clock.millis();
        buckets.values().removeIf(b -> {
            synchronized (b) {
                b.refill(now, perSecond);
                return b.tokens >= perSecond;
            }
        });
    }

    /** Clients with a bucket now. */
    public int clients() {
        return buckets.size();
    }

    private static final class Bucket {
        private double tokens;
        private long updatedAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedAt = now;
        }

        void refill(long now, double perSecond) {
            if (now > updatedAt) {
                tokens = Math.min(perSecond, tokens + (now - updatedAt) * perSecond / 1000.0);
                updatedAt = now;
            }
        }
    }
}
