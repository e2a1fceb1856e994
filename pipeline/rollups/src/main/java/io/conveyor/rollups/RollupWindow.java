package io.conveyor.rollups;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.TaskStatus;
import io.conveyor.rollups.internal.Sketches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * One closed tumbling window of one task type: what {@code conveyor.rollups} carries (as JSON, keyed
 * by type, see {@link #toJson}) and {@code GET /v1/stats} shows.
 *
 * @param type the task type
 * @param size the window's length ({@link #window()} is its label, such as {@code 10s})
 * @param start inclusive start, aligned to the epoch
 * @param succeeded tasks that ended {@code SUCCEEDED} in the window
 * @param failed tasks that ended {@code FAILED}, that is dead-lettered
 * @param cancelled tasks that ended {@code CANCELLED}
 * @param retries failed attempts that were retried ({@code RETRYING} results)
 * @param arrivals tasks put on a task topic ({@code QUEUED} changes) in the window
 * @param late results counted although they came after the window's end (within the grace)
 * @param endToEnd submission to finish of the terminal tasks
 * @param queueWait submission to the start of the last attempt of the terminal tasks
 * @param run start to finish of the last attempt of the terminal tasks
 */
public record RollupWindow(
        String type,
        Duration size,
        Instant start,
        long succeeded,
        long failed,
        long cancelled,
        long retries,
        long arrivals,
        long late,
        Latency endToEnd,
        Latency queueWait,
        Latency run) {

    /** The latency phases, named as in JSON and in the {@code phase} label of the gauges. */
    public static final java.util.List<String> PHASES = java.util.List.of("end_to_end", "queue_wait", "run");

    private static final ObjectMapper JSON = new ObjectMapper();

    public RollupWindow {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(endToEnd, "endToEnd");
        Objects.requireNonNull(queueWait, "queueWait");
        Objects.requireNonNull(run, "run");
    }

    /**
     * A latency distribution: a mergeable HdrHistogram of microseconds (3 significant digits) and
     * the figures read from it, in seconds.
     */
    public record Latency(Histogram histogram) {
        /** The quantiles reported, as fractions (the {@code quantile} label of the gauges). */
        public static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};

        public Latency {
            Objects.requireNonNull(histogram, "histogram");
        }

        public static Latency empty() {
            return new Latency(Sketches.histogram());
        }

        public long count() {
            return histogram.getTotalCount();
        }

        /** The latency at quantile {@code q} (0..1) in seconds; NaN when nothing was recorded. */
        public double quantileSeconds(double q) {
            return count() == 0 ? Double.NaN : histogram.getValueAtPercentile(q * 100) / 1e6;
        }

        public double maxSeconds() {
            return count() == 0 ? Double.NaN : histogram.getMaxValue() / 1e6;
        }

        public double meanSeconds() {
            return count() == 0 ? Double.NaN : histogram.getMean() / 1e6;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Latency l && histogram.equals(l.histogram);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(count());
        }
    }

    public Instant end() {
        return start.plus(size);
    }

    /** The window's label: {@code 10s}, {@code 1m}, {@code 500ms}, {@code 1h}. */
    public String window() {
        return label(size);
    }

    public long terminal() {
        return succeeded + failed + cancelled;
    }

    /** Dead letters: the tasks that ended {@code FAILED}. */
    public long deadLetters() {
        return failed;
    }

    /** Terminal tasks of the given status. */
    public long tasks(TaskStatus status) {
        return switch (status) {
            case SUCCEEDED -> succeeded;
            case FAILED -> failed;
            case CANCELLED -> cancelled;
            default -> 0;
        };
    }

    /** Terminal tasks per second over the window. */
    public double throughputPerSecond() {
        return terminal() / seconds();
    }

    public double arrivalRatePerSecond() {
        return arrivals / seconds();
    }

    private double seconds() {
        return size.toNanos() / 1e9;
    }

    /** The latency of one phase ({@link #PHASES}). */
    public Latency latency(String phase) {
        return switch (phase) {
            case "end_to_end" -> endToEnd;
            case "queue_wait" -> queueWait;
            case "run" -> run;
            default -> throw new IllegalArgumentException("unknown phase " + phase + "; known: " + PHASES);
        };
    }

    /** The label of a window size: whole hours, minutes or seconds if it is one, else milliseconds. */
    public static String label(Duration size) {
        long ms = size.toMillis();
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }

    /**
     * The JSON form (README "Rollups"). With {@code sketches}, each phase also carries its histogram
     * ({@code "sketch"}: base64 of HdrHistogram's compressed encoding), so readers can merge windows.
     */
    public ObjectNode toJson(boolean sketches) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("type", type);
        n.put("window", window());
        n.put("windowMs", size.toMillis());
        n.put("start", start.toString());
        n.put("end", end().toString());
        ObjectNode tasks = n.putObject("tasks");
        tasks.put("SUCCEEDED", succeeded);
        tasks.put("FAILED", failed);
        tasks.put("CANCELLED", cancelled);
        n.put("terminal", terminal());
        n.put("retries", retries);
        n.put("deadLetters", deadLetters());
        n.put("arrivals", arrivals);
        n.put("late", late);
        n.put("throughputPerSecond", throughputPerSecond());
        n.put("arrivalRatePerSecond", arrivalRatePerSecond());
        ObjectNode latency = n.putObject("latency");
        for (String phase : PHASES) {
            Latency l = latency(phase);
            ObjectNode p = latency.putObject(phase);
            p.put("count", l.count());
            number(p, "mean", l.meanSeconds());
            number(p, "p50", l.quantileSeconds(0.5));
            number(p, "p90", l.quantileSeconds(0.9));
            number(p, "p99", l.quantileSeconds(0.99));
            number(p, "p999", l.quantileSeconds(0.999));
            number(p, "max", l.maxSeconds());
            if (sketches) {
                p.put("sketch", Sketches.encode(l.histogram()));
            }
        }
        return n;
    }

    private static void number(ObjectNode n, String field, double value) {
        if (Double.isNaN(value)) {
            n.putNull(field);
        } else {
            n.put(field, value);
        }
    }

    public byte[] encode() {
        try {
            return JSON.writeValueAsBytes(toJson(true));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads the JSON form written with sketches.
     *
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public static RollupWindow decode(byte[] bytes) {
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("a rollup window must be JSON: " + e.getMessage(), e);
        }
        if (n == null
                || !n.isObject()
                || !n.hasNonNull("type")
                || !n.hasNonNull("windowMs")
                || !n.hasNonNull("start")) {
            throw new IllegalArgumentException("a rollup window needs type, windowMs and start");
        }
        JsonNode tasks = n.path("tasks");
        JsonNode latency = n.path("latency");
        return new RollupWindow(
                n.get("type").asText(),
                Duration.ofMillis(n.get("windowMs").asLong()),
                Instant.parse(n.get("start").asText()),
                tasks.path("SUCCEEDED").asLong(),
                tasks.path("FAILED").asLong(),
                tasks.path("CANCELLED").asLong(),
                n.path("retries").asLong(),
                n.path("arrivals").asLong(),
                n.path("late").asLong(),
                sketch(latency, "end_to_end"),
                sketch(latency, "queue_wait"),
                sketch(latency, "run"));
    }

    private static Latency sketch(JsonNode latency, String phase) {
        String text = latency.path(phase).path("sketch").asText("");
        return text.isEmpty() ? Latency.empty() : new Latency(Sketches.decode(text));
    }
}
