package io.conveyor.producers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.BoundedLabels;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.Meters;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns admitted tasks into Kafka writes and each write into an {@link Outcome}: resolves
 * idempotency keys, encodes, hands the record to the {@link KafkaSubmitter}, and counts what was
 * submitted, deduplicated and refused. Thread-safe; never blocks (stages complete on the producer's
 * I/O thread or the status lookup's thread, and callers hop back to their context).
 */
public final class Submissions {
    private final java.util.function.Consumer<Task> accepted;
    private static final Logger log = LoggerFactory.getLogger(Submissions.class);

    /** What became of one task. */
    public sealed interface Outcome permits Accepted, Refused {}

    /** Kafka acknowledged the task (or an earlier one with the same idempotency key). */
    public record Accepted(String id, boolean duplicate) implements Outcome {}

    /** Not accepted: the HTTP status and the error to report. */
    public record Refused(int status, String code, String message, String field) implements Outcome {
        /** Whether the client should retry later (the answer carries Retry-After). */
        public boolean retryLater() {
            return status == 503;
        }
    }

    private final TaskCodec codec;
    private final KafkaSubmitter submitter;
    private final Idempotency idempotency;
    private final MeterRegistry registry;
    private final BoundedLabels types = new BoundedLabels(BoundedLabels.DEFAULT_MAX_TYPES);
    private final ConcurrentHashMap<String, Counter> submitted = new ConcurrentHashMap<>();
    private final Counter deduplicated;
    private final FatalErrors fatal;

    public Submissions(
            TaskCodec codec,
            KafkaSubmitter submitter,
            Idempotency idempotency,
            MeterRegistry registry,
            java.util.function.Consumer<Task> accepted,
            FatalErrors fatal) {
        this.accepted = accepted;
        this.fatal = fatal;
        this.codec = codec;
        this.submitter = submitter;
        this.idempotency = idempotency;
        this.registry = registry;
        this.deduplicated = Meters.counter(registry, Meters.TASKS_DEDUPLICATED);
        // registered up front, so dashboards and alerts read 0 rather than "no data" before the first one
        Meters.counter(registry, Meters.TASKS_CANCEL_REQUESTED);
        for (String reason : new String[] {
            "invalid", "kafka_error", "kafka_unavailable", "overloaded", "rate_limited", "shutting_down"
        }) {
            Meters.counter(registry, Meters.TASKS_REJECTED, reason);
        }
    }

    /** Submits the tasks; the stage completes once every one has its outcome, in order. */
    public CompletableFuture<List<Outcome>> submit(List<Task> tasks) {
        if (tasks.size() == 1) {
            return submit(tasks.getFirst()).thenApply(List::of);
        }
        List<CompletableFuture<Outcome>> each = new ArrayList<>(tasks.size());
        for (Task task : tasks) {
            each.add(submit(task));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
    }

    private CompletableFuture<Outcome> submit(Task task) {
        String key = task.idempotencyKey();
        if (key == null) {
            return write(task);
        }
        return idempotency
                .resolve(key)
                .toCompletableFuture()
                .thenCompose(resolution -> {
                    if (resolution.duplicate()) {
                        deduplicated.increment();
                        return CompletableFuture.completedFuture((Outcome) new Accepted(resolution.id(), true));
                    }
                    return write(withId(task, resolution.id())).whenComplete((outcome, error) -> {
                        if (outcome instanceof Accepted) {
                            idempotency.written(resolution);
                        } else {
                            idempotency.failed(
                                    key,
                                    resolution,
                                    error != null ? error : new IllegalStateException("the task was not written"));
                        }
                    });
                })
                .exceptionally(error -> refusedBy(unwrap(error)));
    }

    private CompletableFuture<Outcome> write(Task task) {
        byte[] value;
        try {
            value = codec.encode(task);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(refusedBy(e));
        }
        return submitter.submit(task, value).handle((sent, error) -> {
            if (error != null) {
                return refusedBy(unwrap(error));
            }
            submittedCounter(sent).increment();
            accepted.accept(sent);
            return new Accepted(sent.id(), false);
        });
    }

    private Counter submittedCounter(Task task) {
        String type = types.label(task.type());
        String priority = task.priority().wireName();
        return submitted.computeIfAbsent(
                type + '\u0000' + priority, k -> Meters.counter(registry, Meters.TASKS_SUBMITTED, type, priority));
    }

    /** Cancels a task; the stage completes with the outcome once Kafka acknowledged (or refused). */
    public CompletableFuture<Outcome> cancel(String taskId) {
        return submitter.cancel(taskId).handle((v, error) -> {
            if (error != null) {
                return refusedBy(unwrap(error));
            }
            Meters.counter(registry, Meters.TASKS_CANCEL_REQUESTED).increment();
            return new Accepted(taskId, false);
        });
    }

    /** The refusal that tells the client the truth about a write that failed. */
    private Refused refusedBy(Throwable error) {
        if (error instanceof RejectedExecutionException) {
            Meters.counter(registry, Meters.TASKS_REJECTED, "overloaded").increment();
            return new Refused(503, "overloaded", "the API is overloaded (" + error.getMessage() + ")", null);
        }
        if (error instanceof KafkaSubmitter.KafkaUnavailableException
                || error instanceof RetriableException
                || error instanceof org.apache.kafka.common.errors.TimeoutException) {
            Meters.counter(registry, Meters.TASKS_REJECTED, "kafka_unavailable").increment();
            return new Refused(
                    503,
                    "kafka_unavailable",
                    error instanceof KafkaSubmitter.KafkaUnavailableException
                            ? error.getMessage()
                            : "Kafka did not acknowledge the write within api.submit.timeout.ms, so it was not"
                                    + " accepted; retry later (" + error.getMessage() + ")",
                    null);
        }
        Meters.counter(registry, Meters.TASKS_REJECTED, "kafka_error").increment();
        if (error instanceof RecordTooLargeException) {
            return new Refused(413, "too_large", "Kafka refused the task as too large: " + error.getMessage(), null);
        }
        var refusal = AccessDenied.find(error, "WRITE", AccessDenied.Names.NONE);
        if (refusal.isPresent()) {
            // no retry mends a missing ACL: say it once, and let the process stop
            fatal.report("api", refusal.get().message(), error);
            return new Refused(500, "kafka_error", refusal.get().message(), null);
        }
        log.warn("Kafka refused a write", error);
        return new Refused(500, "kafka_error", "Kafka refused the write, so it was not accepted: " + error, null);
    }

    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static Task withId(Task t, String id) {
        return new Task(
                id,
                t.type(),
                t.payload(),
                t.key(),
                t.priority(),
                t.idempotencyKey(),
                t.maxAttempts(),
                t.timeoutMs(),
                t.runAt(),
                t.submittedAt(),
                t.attempt());
    }
}
