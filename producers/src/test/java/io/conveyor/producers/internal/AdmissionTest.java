package io.conveyor.producers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.producers.internal.Admission.Decision;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Watermarks with hysteresis, byte accounting, shutdown; the rate limiter's buckets. */
class AdmissionTest {

    @Test
    void shedsAtTheHighWatermarkUntilBelowTheLowOne() {
        Admission admission = new Admission(2, 4, 1_000_000);
        assertThat(admission.tryAcquire(3, 10)).isEqualTo(Decision.ACCEPTED);
        assertThat(admission.underPressure()).isTrue();
        assertThat(admission.tryAcquire(1, 10)).isEqualTo(Decision.ACCEPTED);
        assertThat(admission.pressure()).isEqualTo(1.0);
        assertThat(admission.tryAcquire(1, 10)).isEqualTo(Decision.OVERLOADED);
        assertThat(admission.shedding()).isTrue();

        admission.release(1, 10); // 3 in flight: above the low watermark, still shedding
        assertThat(admission.peek()).isEqualTo(Decision.OVERLOADED);
        assertThat(admission.tryAcquire(1, 10)).isEqualTo(Decision.OVERLOADED);
        admission.release(2, 20); // 1 in flight: below the low watermark
        assertThat(admission.tryAcquire(1, 10)).isEqualTo(Decision.ACCEPTED);
        assertThat(admission.shedding()).isFalse();
        assertThat(admission.inflight()).isEqualTo(2);
    }

    @Test
    void bytesCountLikeTasks() {
        Admission admission = new Admission(50, 100, 1_000);
        assertThat(admission.tryAcquire(1, 1_000)).isEqualTo(Decision.ACCEPTED);
        assertThat(admission.tryAcquire(1, 1)).isEqualTo(Decision.OVERLOADED);
        admission.release(1, 1_000);
        assertThat(admission.tryAcquire(1, 1)).isEqualTo(Decision.ACCEPTED);
    }

    @Test
    void closeRefusesEverythingAndCompletesWhenDrained() {
        Admission admission = new Admission(1, 2, 1_000);
        assertThat(admission.tryAcquire(1, 1)).isEqualTo(Decision.ACCEPTED);
        var drained = admission.close();
        assertThat(admission.tryAcquire(1, 1)).isEqualTo(Decision.SHUTTING_DOWN);
        assertThat(admission.peek()).isEqualTo(Decision.SHUTTING_DOWN);
        assertThat(drained).isNotDone();
        admission.release(1, 1);
        assertThat(drained).isDone();
    }

    @Test
    void rateLimiterRefillsAndForgetsIdleClients() {
        Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        RateLimiter limiter = new RateLimiter(10, clock);
        assertThat(limiter.tryAcquire("a", 25)).isZero(); // a batch may go into debt
        assertThat(limiter.tryAcquire("a", 1)).isEqualTo(2); // 16 tokens short at 10/s
        assertThat(limiter.tryAcquire("b", 1)).isZero();
        now[0] = now[0].plusMillis(1_600);
        assertThat(limiter.tryAcquire("a", 1)).isZero();
        now[0] = now[0].plusSeconds(5);
        limiter.sweep();
        assertThat(limiter.clients()).isZero();
    }
}
