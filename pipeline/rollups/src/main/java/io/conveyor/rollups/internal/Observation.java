package io.conveyor.rollups.internal;

import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.time.Duration;
import java.time.Instant;

/**
 * What one result adds to the windows of its task type: the status it counts under, its event time and its latencies in microseconds (-1 when a
 * phase does not apply).
 *
 * <p>Which results count: terminal ones (counts, latencies; {@code FAILED} also as a dead letter),
 * {@code RETRYING} (a retry), and {@code QUEUED}: an arrival. Every task record on a task topic gets
 * exactly one {@code QUEUED} change, whoever wrote it (the rollups' {@code ArrivalTopology} writes
 * it), so arrivals are the tasks put on the task topics; retries are not arrivals. {@code RUNNING}
 * results add nothing and are not observed.
 *
 * <p>Event time: {@code finishedAt} for terminal and retried results, {@code submittedAt} for
 * {@code QUEUED}; {@code updatedAt} when those are missing.
 */
public record Observation(
        String type, TaskStatus status, long eventTimeMs, long endToEndUs, long queueWaitUs, long runUs) {
    /** Whether this observation is an arrival (a {@code QUEUED}). */
    public boolean arrival() {
        return status == TaskStatus.QUEUED;
    }

    /** What {@code result} adds to the windows, or null when it adds nothing. */
    public static Observation of(TaskResult r) {
        return switch (r.status()) {
            case QUEUED -> new Observation(r.type(), r.status(), millis(r.submittedAt(), r), -1, -1, -1);
            case RUNNING -> null;
            case RETRYING -> new Observation(r.type(), r.status(), millis(r.finishedAt(), r), -1, -1, -1);
            case SUCCEEDED, FAILED, CANCELLED ->
                new Observation(
                        r.type(),
                        r.status(),
                        millis(r.finishedAt(), r),
                        micros(r.submittedAt(), r.finishedAt()),
                        micros(r.submittedAt(), r.startedAt()),
                        micros(r.startedAt(), r.finishedAt()));
        };
    }

    private static long millis(Instant preferred, TaskResult r) {
        return Math.max(0, (preferred != null ? preferred : r.updatedAt()).toEpochMilli());
    }

    /** Microseconds from {@code from} to {@code to}; 0 when clocks disagree; -1 when either is missing. */
    static long micros(Instant from, Instant to) {
        if (from == null || to == null) {
            return -1;
        }
        Duration d = Duration.between(from, to);
        if (d.isNegative()) {
            return 0;
        }
        try {
            return d.toNanos() / 1_000;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
