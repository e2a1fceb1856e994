package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff =
            new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new SplittableRandom(42));

    @Test
    void doublesWithEachAttemptWithinHalfAndFullOfTheStep() {
        for (int attempt = 1; attempt <= 10; attempt++) {
            long step = Math.min(100L << (attempt - 1), 5_000);
            for (int i = 0; i < 200; i++) {
                assertThat(backoff.after(attempt).toMillis()).isBetween(step / 2, step);
            }
        }
    }

    @Test
    void neverOverflowsForLargeAttemptNumbers() {
        assertThat(backoff.after(Integer.MAX_VALUE).toMillis()).isBetween(2_500L, 5_000L);
    }
}
