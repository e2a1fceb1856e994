package io.conveyor.consumers.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.Topics;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Takes in one record read from a task or retry topic and queues it with the {@link Dispatcher}.
 *
 * <p>A record from a task topic is queued as it is, in its topic's priority, and decoded later on
 * its attempt thread by the {@link RecordRunner}: the poll thread stays free to poll, and a
 * waiting record holds only its bytes. Two kinds are read first, here: records of the retry topic
 * (their priority is in the envelope) and, when per-type concurrency limits are set, every record
 * (the dispatcher needs the type to choose). Used by both poll loops; called on the calling
 * loop's thread, thread-safe.
 */
final class Intake {
    private final Dispatcher dispatcher;
    private final RecordRunner records;
    private final Topics topics;
    private final boolean readEveryRecord;

    Intake(Dispatcher dispatcher, RecordRunner records, Topics topics, boolean readEveryRecord) {
        this.dispatcher = dispatcher;
        this.records = records;
        this.topics = topics;
        this.readEveryRecord = readEveryRecord;
    }

    /**
     * {@code done} is called once everything the record caused is acknowledged by Kafka (or a
     * write failed), on the thread that completed the last write.
     */
    void accept(ConsumerRecord<byte[], byte[]> record, BiConsumer<Disposition, Throwable> done) {
        boolean retryTopic = record.topic().equals(topics.retry());
        if (!retryTopic && !readEveryRecord) {
            Priority priority = topics.priorityOf(record.topic()).orElse(Priority.NORMAL);
            dispatcher.enqueue(null, record, priority, done);
            return;
        }
        Task task;
        try {
            task = records.decode(record);
        } catch (MalformedTaskException e) {
            records.deadLetterMalformed(record, e).whenComplete(done);
            return;
        }
        if (records.notDueYet(task, record)) {
            records.postpone(task, record).whenComplete(done);
            return;
        }
        dispatcher.enqueue(task, record, task.priority(), done);
    }
}
