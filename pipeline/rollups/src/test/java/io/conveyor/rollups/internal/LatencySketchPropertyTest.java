package io.conveyor.rollups.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.TaskStatus;
import io.conveyor.rollups.RollupWindow;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * The latency sketches report every quantile and the maximum within 1% of the exact value over the
 * same samples, also after the window went through its JSON form (as on {@code conveyor.rollups}).
 */
class LatencySketchPropertyTest {

    @Property(tries = 200)
    void quantilesAreWithinOnePercentOfTheExactValues(
            @ForAll @Size(min = 1, max = 2_000) List<@LongRange(min = 0, max = 3_600_000_000L) Long> runMicros) {
        WindowAggregate aggregate = new WindowAggregate();
        for (long micros : runMicros) {
            aggregate.add(new Observation("t", TaskStatus.SUCCEEDED, 0, micros, -1, micros), false);
        }
        RollupWindow window = RollupWindow.decode(
                aggregate.toWindow("t", Duration.ofSeconds(10), 0).encode());
        long[] sorted = runMicros.stream().mapToLong(Long::longValue).sorted().toArray();

        for (String phase : List.of("end_to_end", "run")) {
            RollupWindow.Latency latency = window.latency(phase);
            assertThat(latency.count()).isEqualTo(sorted.length);
            for (double q : RollupWindow.Latency.QUANTILES) {
                double exact = exactQuantile(sorted, q) / 1e6;
                assertThat(latency.quantileSeconds(q))
                        .as("%s q%s of %s", phase, q, Arrays.toString(sorted))
                        .isCloseTo(exact, org.assertj.core.data.Offset.offset(exact * 0.01));
            }
            double max = sorted[sorted.length - 1] / 1e6;
            assertThat(latency.maxSeconds()).isCloseTo(max, org.assertj.core.data.Offset.offset(max * 0.01));
        }
        assertThat(window.queueWait().count()).isZero();
        assertThat(window.queueWait().quantileSeconds(0.5)).isNaN();
    }

    /** The nearest-rank quantile, ranked as HdrHistogram ranks: the ceiling of q × n, at least 1. */
    private static long exactQuantile(long[] sorted, double q) {
        double percentile = Math.min(Math.max(Math.nextAfter(q * 100, Double.NEGATIVE_INFINITY), 0), 100);
        long rank = Math.max(1, (long) Math.ceil(percentile * sorted.length / 100));
        return sorted[(int) Math.min(rank, sorted.length) - 1];
    }
}
