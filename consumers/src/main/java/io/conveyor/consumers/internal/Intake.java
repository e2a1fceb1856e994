package io.conveyor.consumers.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes in one record read from a task or retry topic: decodes it (an undecodable record is
 * dead-lettered as it was, with a {@code FAILED} result), moves a task that is not due yet to the
 * retry topic, and queues the rest with the {@link Dispatcher}. Used by both poll loops; called
 * on the calling loop's thread, thread-safe.
 */
final class Intake {
    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    private final Dispatcher dispatcher;
    private final Publisher publisher;
    private final TaskCodec codec;
    private final Topics topics;
    private final Clock clock;
    private final WorkerMetrics metrics;
    private final String workerId;

    Intake(
            Dispatcher dispatcher,
            Publisher publisher,
            TaskCodec codec,
            Topics topics,
            Clock clock,
            WorkerMetrics metrics,
            String workerId) {
        this.dispatcher = dispatcher;
        this.publisher = publisher;
        this.codec = codec;
        this.topics = topics;
        this.clock = clock;
        this.metrics = metrics;
        this.workerId = workerId;
    }

    /** The future completes once everything the record caused is acknowledged by Kafka. */
    CompletableFuture<Disposition> accept(ConsumerRecord<byte[], byte[]> record) {
        boolean retryTopic = record.topic().equals(topics.retry());
        Priority priority = topics.priorityOf(record.topic()).orElse(Priority.NORMAL);
        RecordOrigin origin = new RecordOrigin(
                record.topic(),
                record.partition(),
                record.offset(),
                Instant.ofEpochMilli(record.timestamp()),
                priority);
        Task task;
        try {
            task = codec.decode(record.value(), origin);
        } catch (MalformedTaskException | IllegalArgumentException e) {
            return deadLetterMalformed(record, origin, e);
        }
        if (!retryTopic && task.runAt() != null && task.runAt().isAfter(clock.instant())) {
            // a delayed task waits on the retry topic, so it never holds up its partition
            return publisher.retry(task, task.runAt(), record).thenApply(v -> Disposition.DONE);
        }
        return dispatcher.enqueue(task, record, task.priority());
    }

    private CompletableFuture<Disposition> deadLetterMalformed(
            ConsumerRecord<byte[], byte[]> record, RecordOrigin origin, Exception e) {
        log.warn(
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
}
