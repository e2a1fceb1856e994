package io.conveyor.rollups;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * How much worker capacity the current load needs, from the last closed window of the smallest size
 * summed over task types.
 *
 * <ul>
 *   <li>arrival rate λ: arrivals / window length; completion rate μ: terminal tasks / window length
 *   <li>backlog: task records the worker group has not consumed yet (its lag on the task and retry
 *       topics); NaN when unknown (no Admin answer, or share mode)
 *   <li>recommended workers (Little's law): tasks in service L = λ × mean run time, so {@code
 *       ceil(L / worker.concurrency)}; at least 1 while there is a backlog
 *   <li>drain time: backlog / (μ − λ) when μ > λ; 0 without backlog; +Inf when the backlog does not
 *       shrink at the observed pace (NaN when the backlog is unknown). μ is the observed rate: workers
 *       with spare capacity complete only what arrives, so read +Inf as "not shrinking now"
 * </ul>
 *
 * @param window the window's label, {@code null} before any window closed
 */
public record CapacityHint(
        String window,
        Instant start,
        Instant end,
        double arrivalRatePerSecond,
        double completionRatePerSecond,
        double backlog,
        double meanRunSeconds,
        int workerConcurrency,
        long recommendedWorkers,
        double drainSeconds) {

    /** The hint from summed figures of one window length. */
    public static CapacityHint of(
            String window,
            Instant start,
            Instant end,
            double seconds,
            long arrivals,
            long terminal,
            double meanRunSeconds,
            double backlog,
            int concurrency) {
        double lambda = seconds > 0 ? arrivals / seconds : 0;
        double mu = seconds > 0 ? terminal / seconds : 0;
        double inService = lambda * (Double.isNaN(meanRunSeconds) ? 0 : meanRunSeconds);
        long workers = (long) Math.ceil(inService / concurrency);
        if (backlog > 0) {
            workers = Math.max(workers, 1);
        }
        double drain;
        if (Double.isNaN(backlog)) {
            drain = Double.NaN;
        } else if (backlog <= 0) {
            drain = 0;
        } else if (mu > lambda) {
            drain = backlog / (mu - lambda);
        } else {
            drain = Double.POSITIVE_INFINITY;
        }
        return new CapacityHint(window, start, end, lambda, mu, backlog, meanRunSeconds, concurrency, workers, drain);
    }

    /** The {@code capacity} object of {@code GET /v1/stats}; NaN and infinite figures are null. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("window", window);
        n.put("start", start == null ? null : start.toString());
        n.put("end", end == null ? null : end.toString());
        n.put("arrivalRatePerSecond", arrivalRatePerSecond);
        n.put("completionRatePerSecond", completionRatePerSecond);
        number(n, "backlog", backlog);
        number(n, "meanRunSeconds", meanRunSeconds);
        n.put("workerConcurrency", workerConcurrency);
        n.put("recommendedWorkers", recommendedWorkers);
        number(n, "drainSeconds", drainSeconds);
        n.put("draining", !Double.isNaN(drainSeconds) && !Double.isInfinite(drainSeconds));
        return n;
    }

    private static void number(ObjectNode n, String field, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            n.putNull(field);
        } else {
            n.put(field, value);
        }
    }
}
