package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.rollups.internal.Sketches;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The serving side: latest windows, the capacity hint, the JSON of GET /v1/stats and the gauges. */
class RollupStatsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration TEN_S = Duration.ofSeconds(10);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RollupStats stats = new RollupStats(List.of(Duration.ofMinutes(1), TEN_S), 4, registry);

    @Test
    void servesTheLatestWindowsWithTheCapacityHint() {
        stats.accept(window("echo", TEN_S, T0, 10, 20, 2_000_000)); // an older window, replaced
        stats.accept(window("echo", TEN_S, T0.plusSeconds(10), 30, 20, 2_000_000));
        stats.accept(window("cpu", TEN_S, T0.plusSeconds(10), 10, 10, 6_000_000));
        stats.accept(window("sleep", TEN_S, T0, 5, 5, 1_000_000)); // no traffic since: not current
        stats.backlog(100);

        CapacityHint hint = stats.capacity();
        assertThat(hint.window()).isEqualTo("10s");
        assertThat(hint.arrivalRatePerSecond()).isEqualTo(4.0); // (30 + 10) / 10 s
        assertThat(hint.completionRatePerSecond()).isEqualTo(3.0);
        assertThat(hint.meanRunSeconds())
                .isCloseTo(3.333, org.assertj.core.data.Offset.offset(0.01)); // (20×2 s + 10×6 s) / 30
        assertThat(hint.recommendedWorkers()).isEqualTo(4); // ceil(4/s × 3.33 s / 4)
        assertThat(hint.drainSeconds()).isInfinite(); // completing slower than arriving

        JsonNode body = stats.stats();
        assertThat(body.at("/windows").toString()).isEqualTo("[\"10s\",\"1m\"]");
        assertThat(body.at("/types/echo/10s/arrivals").asLong()).isEqualTo(30);
        assertThat(body.at("/types/echo/10s/current").asBoolean()).isTrue();
        assertThat(body.at("/types/sleep/10s/current").asBoolean()).isFalse();
        assertThat(body.at("/types/echo/10s/latency/run/p50").asDouble())
                .isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(body.at("/types/echo/10s/latency/run/sketch").isMissingNode())
                .isTrue();
        assertThat(body.at("/capacity/backlog").asDouble()).isEqualTo(100);
        assertThat(body.at("/capacity/drainSeconds").isNull()).isTrue();
        assertThat(body.at("/capacity/draining").asBoolean()).isFalse();

        stats.accept(window("echo", TEN_S, T0.plusSeconds(20), 0, 30, 2_000_000));
        assertThat(stats.capacity().drainSeconds()).isEqualTo(100 / 3.0); // μ 3/s, λ 0
    }

    @Test
    void gaugesCarryTheCatalogueNames() {
        stats.accept(window("echo", TEN_S, T0, 10, 8, 2_000_000));
        stats.accept(window("sleep", TEN_S, T0.minusSeconds(10), 10, 8, 2_000_000));
        stats.backlog(0);
        String scrape = registry.scrape();

        assertThat(scrape)
                .contains("conveyor_rollup_tasks{status=\"SUCCEEDED\",type=\"echo\",window=\"10s\"} 8.0")
                .contains("conveyor_rollup_tasks{status=\"FAILED\",type=\"echo\",window=\"10s\"} 0.0")
                .contains("conveyor_rollup_retries{type=\"echo\",window=\"10s\"} 0.0")
                .contains("conveyor_rollup_dead_letters{type=\"echo\",window=\"10s\"} 0.0")
                .contains("conveyor_rollup_throughput_tasks_per_second{type=\"echo\",window=\"10s\"} 0.8")
                .contains(
                        "conveyor_rollup_latency_seconds{phase=\"run\",quantile=\"0.99\",type=\"echo\",window=\"10s\"} 2.0")
                .contains("conveyor_rollup_latency_max_seconds{phase=\"run\",type=\"echo\",window=\"10s\"} 2.0")
                .contains(
                        "conveyor_rollup_latency_seconds{phase=\"queue_wait\",quantile=\"0.5\",type=\"echo\",window=\"10s\"} NaN")
                .contains("conveyor_rollup_arrival_rate_per_second 1.0")
                .contains("conveyor_rollup_completion_rate_per_second 0.8")
                .contains("conveyor_rollup_backlog_tasks 0.0")
                .contains("conveyor_rollup_recommended_workers 1.0")
                .contains("conveyor_rollup_drain_seconds 0.0")
                // a type with no window among the newest reads zero, not its last figures
                .contains("conveyor_rollup_tasks{status=\"SUCCEEDED\",type=\"sleep\",window=\"10s\"} 0.0");
    }

    @Test
    void answersUnavailableWhileNotCaughtUpIsNotTheCaseWithoutReader() {
        assertThat(stats.isReady()).isTrue();
        assertThat(stats.stats().at("/capacity/window").isNull()).isTrue();
        assertThatThrownBy(() -> stats.latest("echo", "10s").orElseThrow())
                .isInstanceOf(java.util.NoSuchElementException.class);
    }

    /** A window with {@code arrivals}, {@code succeeded} tasks each running {@code runMicros}. */
    private static RollupWindow window(
            String type, Duration size, Instant start, long arrivals, long succeeded, long runMicros) {
        Histogram run = Sketches.histogram();
        if (succeeded > 0) {
            run.recordValueWithCount(runMicros, succeeded);
        }
        return new RollupWindow(
                type,
                size,
                start,
                succeeded,
                0,
                0,
                0,
                arrivals,
                0,
                new RollupWindow.Latency(run.copy()),
                RollupWindow.Latency.empty(),
                new RollupWindow.Latency(run));
    }
}
