package io.conveyor.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/**
 * One state change of a task, as published to {@code conveyor.results} keyed by task id; also the
 * merged view of a task that the status table keeps (see {@link #merge}).
 *
 * @param taskId the task's id
 * @param type the task's handler type
 * @param status the status entered
 * @param attempt the attempt this change belongs to (0 while {@code QUEUED})
 * @param workerId the worker that made the change; null while queued
 * @param submittedAt when the task was accepted
 * @param startedAt when the attempt started running; null before
 * @param finishedAt when the attempt ended; null before
 * @param updatedAt when this change happened
 * @param result handler output, for {@code SUCCEEDED}; null otherwise
 * @param error why the attempt failed, for {@code RETRYING}, {@code FAILED}, {@code CANCELLED}
 */
public record TaskResult(
        String taskId,
        String type,
        TaskStatus status,
        int attempt,
        String workerId,
        Instant submittedAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        JsonNode result,
        TaskError error) {

    /**
     * Orders two changes of the same task: a terminal status wins over any other, and the first
     * terminal status is final; otherwise the later attempt, then the later phase within it.
     */
    private static final Comparator<TaskResult> PROGRESS = Comparator.comparing(
                    (TaskResult r) -> r.status().isTerminal())
            .thenComparingInt(TaskResult::attempt)
            .thenComparingInt(r -> r.status().phase());

    public TaskResult {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
        result = result == null || result.isNull() ? null : result;
    }

    /** This change with {@code output} as its result. */
    public TaskResult withResult(JsonNode output) {
        return new TaskResult(
                taskId, type, status, attempt, workerId, submittedAt, startedAt, finishedAt, updatedAt, output, error);
    }

    /** The {@code QUEUED} view of a task that has just been accepted. */
    public static TaskResult queued(Task task) {
        return new TaskResult(
                task.id(),
                task.type(),
                TaskStatus.QUEUED,
                0,
                null,
                task.submittedAt(),
                null,
                null,
                task.submittedAt(),
                null,
                null);
    }

    /**
     * Folds the change {@code next} into the current view {@code current} of the same task. Changes
     * may arrive out of order and more than once (execution is at-least-once), so the status is the
     * most advanced one seen and the first terminal status sticks; timestamps keep the earliest
     * submission and the latest attempt's start and finish.
     */
    public static TaskResult merge(TaskResult current, TaskResult next) {
        if (current == null) {
            return next;
        }
        if (current.status().isTerminal()) {
            return current.withSubmittedAt(earliest(current.submittedAt(), next.submittedAt()));
        }
        boolean advances = PROGRESS.compare(next, current) >= 0;
        TaskResult base = advances ? next : current;
        TaskResult other = advances ? current : next;
        return new TaskResult(
                base.taskId(),
                base.type(),
                base.status(),
                Math.max(base.attempt(), other.attempt()),
                base.workerId() != null ? base.workerId() : other.workerId(),
                earliest(base.submittedAt(), other.submittedAt()),
                base.startedAt() != null ? base.startedAt() : other.startedAt(),
                base.finishedAt(),
                base.updatedAt(),
                base.result(),
                base.error());
    }

    private TaskResult withSubmittedAt(Instant submitted) {
        return new TaskResult(
                taskId, type, status, attempt, workerId, submitted, startedAt, finishedAt, updatedAt, result, error);
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.isBefore(b) ? a : b;
    }
}
