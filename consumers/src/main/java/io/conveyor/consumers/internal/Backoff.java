package io.conveyor.consumers.internal;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with "equal jitter": the delay before attempt n+1 is half of {@code
 * min(max, base * 2^(n-1))} plus a random part of the other half, so retries of many tasks that
 * failed together spread out instead of returning in a wave.
 */
record Backoff(Duration base, Duration max, RandomGenerator random) {

    Duration after(int failedAttempt) {
        long baseMs = base.toMillis();
        int shift = Math.min(Math.max(failedAttempt - 1, 0), 30);
        long exp = baseMs > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : baseMs << shift;
        long capped = Math.min(exp, max.toMillis());
        long half = capped / 2;
        return Duration.ofMillis(half + (capped - half == 0 ? 0 : random.nextLong(capped - half + 1)));
    }
}
