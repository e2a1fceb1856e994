package io.conveyor.consumers.internal;

import io.conveyor.consumers.HandlerRegistry;
import io.conveyor.consumers.NonRetriableException;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;
import io.conveyor.core.Task;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt on the calling thread (a virtual thread started by the {@link Dispatcher}):
 * publishes {@code RUNNING}, runs the handler, publishes the outcome, and returns the future of
 * every write the attempt caused. Timeouts interrupt the attempt's thread from the shared {@code
 * conveyor-timeouts} scheduler; cancellations interrupt it through {@link Cancellations}.
 * Thread-safe.
 */
final class AttemptRunner {
    private static final Logger log = LoggerFactory.getLogger(AttemptRunner.class);
    private static final TaskError CANCELLED = new TaskError("cancelled", "cancelled on request");

    private final HandlerRegistry handlers;
    private final Publisher publisher;
    private final ScheduledExecutorService timeouts;
    private final Backoff backoff;
    private final Clock clock;
    private final String workerId;
    private final WorkerMetrics metrics;
    private final Cancellations cancellations;

    AttemptRunner(
            HandlerRegistry handlers,
            Publisher publisher,
            Cancellations cancellations,
            ScheduledExecutorService timeouts,
            Backoff backoff,
            Clock clock,
            String workerId,
            WorkerMetrics metrics) {
        this.handlers = handlers;
        this.publisher = publisher;
        this.cancellations = cancellations;
        this.timeouts = timeouts;
        this.backoff = backoff;
        this.clock = clock;
        this.workerId = workerId;
        this.metrics = metrics;
    }

    /** Runs the attempt {@code task} carries; the future completes when its writes are acked. */
    CompletableFuture<Disposition> run(Task task, ConsumerRecord<byte[], byte[]> origin) {
        String typeLabel = handlers.find(task.type()).isPresent() ? task.type() : "unknown";
        if (cancellations.isCancelled(task.id())) {
            Instant now = clock.instant();
            metrics.completed(typeLabel, TaskStatus.CANCELLED);
            return publisher
                    .result(change(task, TaskStatus.CANCELLED, null, now, null, CANCELLED))
                    .thenApply(v -> Disposition.DONE);
        }
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        Instant started = clock.instant();
        Instant due =
                task.runAt() != null && task.runAt().isAfter(task.submittedAt()) ? task.runAt() : task.submittedAt();
        metrics.waited(typeLabel, Duration.between(due, started));
        writes.add(publisher.result(change(task, TaskStatus.RUNNING, started, null, null, null)));

        Outcome outcome = attempt(task);
        Instant finished = clock.instant();
        metrics.ran(typeLabel, label(outcome), Duration.between(started, finished));
        switch (outcome) {
            case Outcome.Succeeded s -> {
                writes.add(publisher.result(change(task, TaskStatus.SUCCEEDED, started, finished, s.result(), null)));
                metrics.completed(typeLabel, TaskStatus.SUCCEEDED);
            }
            case Outcome.Retry r -> {
                writes.add(publisher.retry(task.nextAttempt(), r.notBefore(), origin));
                writes.add(publisher.result(change(task, TaskStatus.RETRYING, started, finished, null, r.error())));
                metrics.retried(typeLabel);
            }
            case Outcome.DeadLetter d -> {
                writes.add(publisher.deadLetter(
                        origin, d.reason(), d.error().kind(), d.error().message(), task.attempt()));
                writes.add(publisher.result(change(task, TaskStatus.FAILED, started, finished, null, d.error())));
                metrics.deadLettered(d.reason());
                metrics.completed(typeLabel, TaskStatus.FAILED);
            }
            case Outcome.Cancelled c -> {
                writes.add(publisher.result(change(task, TaskStatus.CANCELLED, started, finished, null, c.error())));
                metrics.completed(typeLabel, TaskStatus.CANCELLED);
            }
        }
        Disposition disposition = outcome instanceof Outcome.DeadLetter ? Disposition.DEAD_LETTERED : Disposition.DONE;
        return whenAcked(writes, disposition);
    }

    /** {@code disposition} once every write is acked; two writes (the common case) in one stage. */
    private static CompletableFuture<Disposition> whenAcked(
            List<CompletableFuture<Void>> writes, Disposition disposition) {
        return writes.size() == 2
                ? writes.get(0).thenCombine(writes.get(1), (a, b) -> disposition)
                : CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                        .thenApply(v -> disposition);
    }

    private Outcome attempt(Task task) {
        Optional<TaskHandler> handler = handlers.find(task.type());
        if (handler.isEmpty()) {
            return new Outcome.DeadLetter(
                    new TaskError(
                            NonRetriableException.class.getName(),
                            "no handler for task type '" + task.type() + "'; this worker knows " + handlers.types()),
                    "non_retriable");
        }
        AtomicBoolean timedOut = new AtomicBoolean();
        AttemptInterrupt interrupt = new AttemptInterrupt();
        AtomicBoolean cancelled = cancellations.running(task.id(), interrupt);
        Optional<Instant> deadline =
                task.timeoutMs() > 0 ? Optional.of(clock.instant().plusMillis(task.timeoutMs())) : Optional.empty();
        ScheduledFuture<?> timer = null;
        try { // from here on the finally ends the attempt, whatever fails
            if (task.timeoutMs() > 0) {
                timer = timeouts.schedule(
                        () -> {
                            timedOut.set(true);
                            interrupt.interrupt();
                        },
                        task.timeoutMs(),
                        TimeUnit.MILLISECONDS);
            }
            var context = new Context(task, deadline, timedOut, cancelled, workerId);
            var result = handler.get().handle(context);
            return cancelled.get() ? new Outcome.Cancelled(CANCELLED) : new Outcome.Succeeded(result);
        } catch (NonRetriableException e) {
            if (cancelled.get()) {
                return new Outcome.Cancelled(CANCELLED);
            }
            return new Outcome.DeadLetter(TaskError.of(e), "non_retriable");
        } catch (Exception | LinkageError | AssertionError e) {
            if (cancelled.get()) {
                return new Outcome.Cancelled(CANCELLED);
            }
            TaskError error = timedOut.get()
                    ? new TaskError("timeout", "attempt " + task.attempt() + " exceeded timeoutMs=" + task.timeoutMs())
                    : TaskError.of(e);
            if (task.isLastAttempt()) {
                return new Outcome.DeadLetter(error, "exhausted");
            }
            return new Outcome.Retry(error, clock.instant().plus(backoff.after(task.attempt())));
        } finally {
            boolean interrupted = interrupt.end(); // first: this thread may run other attempts next
            cancellations.finished(task.id(), interrupt);
            if (timer != null) {
                timer.cancel(false);
            }
            if (interrupted && !timedOut.get() && !cancelled.get()) {
                log.debug("attempt {} of task {} ended with a stray interrupt", task.attempt(), task.id());
            }
        }
    }

    private TaskResult change(
            Task task,
            TaskStatus status,
            Instant started,
            Instant finished,
            com.fasterxml.jackson.databind.JsonNode result,
            TaskError error) {
        return new TaskResult(
                task.id(),
                task.type(),
                status,
                task.attempt(),
                workerId,
                task.submittedAt(),
                started,
                finished,
                finished != null ? finished : started,
                result,
                error);
    }

    private static String label(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Succeeded s -> "succeeded";
            case Outcome.Retry r -> "retry";
            case Outcome.DeadLetter d -> "dead_letter";
            case Outcome.Cancelled c -> "cancelled";
        };
    }

    private record Context(
            Task task, Optional<Instant> deadline, AtomicBoolean timedOut, AtomicBoolean cancelled, String workerId)
            implements TaskContext {
        @Override
        public boolean isCancelled() {
            return timedOut.get() || cancelled.get();
        }
    }
}
