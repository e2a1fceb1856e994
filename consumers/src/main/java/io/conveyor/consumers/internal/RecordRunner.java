package io.conveyor.consumers.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.ThrottledWarning;
import io.conveyor.core.Topics;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one record into what it should cause: decodes it (an undecodable record is dead-lettered
 * as it was, with a {@code FAILED} result), moves a task that is not due yet to the retry topic,
 * and runs the rest through the {@link AttemptRunner}.
 *
 * <p>The {@link Dispatcher} calls {@link #run} on the attempt's virtual thread, so the JSON decode
 * of most records happens there, in parallel, rather than on the poll thread; {@link Intake} uses
 * {@link #decode} and {@link #notDueYet} on the poll thread for the records it must read before
 * queueing them. Thread-safe.
 */
final class RecordRunner {
    private static final Logger log = LoggerFactory.getLogger(RecordRunner.class);
    /** A burst of garbage logs a line every few seconds; conveyor_tasks_dead_lettered_total counts them all. */
    private final ThrottledWarning undecodable = new ThrottledWarning(log);

    private final AttemptRunner attempts;
    private final Publisher publisher;
    private final TaskCodec codec;
    private final Topics topics;
    private final Clock clock;
    private final WorkerMetrics metrics;
    private final String workerId;

    RecordRunner(
            AttemptRunner attempts,
            Publisher publisher,
            TaskCodec codec,
            Topics topics,
            Clock clock,
            WorkerMetrics metrics,
            String workerId) {
        this.attempts = attempts;
        this.publisher = publisher;
        this.codec = codec;
        this.topics = topics;
        this.clock = clock;
        this.metrics = metrics;
        this.workerId = workerId;
    }

    /**
     * Runs a queued record; {@code decoded} is its task when {@link Intake} already read it, else
     * null. The future completes once everything the record caused is acknowledged by Kafka.
     */
    CompletableFuture<Disposition> run(Task decoded, ConsumerRecord<byte[], byte[]> record) {
        Task task = decoded;
        if (task == null) {
            try {
                task = decode(record);
            } catch (MalformedTaskException e) {
                return deadLetterMalformed(record, e);
            }
            if (notDueYet(task, record)) {
                return postpone(task, record);
            }
        }
        return attempts.run(task, record);
    }

    /**
     * The record's task. Whatever keeps a record from being read is a {@link
     * MalformedTaskException}, also an exception the codec did not foresee: an undecodable record is
     * dead-lettered, and the thread reading it (the poll thread, for retries) must go on.
     */
    Task decode(ConsumerRecord<byte[], byte[]> record) throws MalformedTaskException {
        try {
            return codec.decode(record.value(), origin(record));
        } catch (RuntimeException e) {
            throw new MalformedTaskException(null, "unreadable task: " + e, e);
        }
    }

    /** A delayed task read from a task topic before its time (the retry topic waits by itself). */
    boolean notDueYet(Task task, ConsumerRecord<byte[], byte[]> record) {
        return task.runAt() != null
                && !record.topic().equals(topics.retry())
                && task.runAt().isAfter(clock.instant());
    }

    /** Moves a task that is not due to the retry topic, so it never holds up its partition. */
    CompletableFuture<Disposition> postpone(Task task, ConsumerRecord<byte[], byte[]> record) {
        return publisher.retry(task, task.runAt(), record).thenApply(v -> Disposition.DONE);
    }

    CompletableFuture<Disposition> deadLetterMalformed(ConsumerRecord<byte[], byte[]> record, Exception e) {
        RecordOrigin origin = origin(record);
        undecodable.warn(
                "Undecodable record {}: {}; sending it to {}",
                origin.derivedId(),
                e.getMessage(),
                topics.deadLetters());
        metrics.deadLettered("malformed");
        metrics.completed("unknown", TaskStatus.FAILED);
        Instant now = clock.instant();
        TaskResult failed = new TaskResult(
                origin.derivedId(),
                "unknown",
                TaskStatus.FAILED,
                1,
                workerId,
                origin.timestamp(),
                now,
                now,
                now,
                null,
                new TaskError("malformed", e.getMessage()));
        return CompletableFuture.allOf(
                        publisher.deadLetter(record, "malformed", e.getClass().getName(), e.getMessage(), 0),
                        publisher.result(failed))
                .thenApply(v -> Disposition.DEAD_LETTERED);
    }

    private RecordOrigin origin(ConsumerRecord<byte[], byte[]> record) {
        return new RecordOrigin(
                record.topic(),
                record.partition(),
                record.offset(),
                Instant.ofEpochMilli(record.timestamp()),
                topics.priorityOf(record.topic()).orElse(Priority.NORMAL));
    }
}
