package io.conveyor.rollups.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Turns one task record into its {@code QUEUED} change, keyed by task id (see {@code
 * ArrivalTopology}); a record that is not a task is skipped and counted ({@link SkippedRecords}).
 * Runs on a stream thread; one instance per task.
 */
public final class ArrivalProcessor implements Processor<byte[], byte[], String, TaskResult> {
    private final TaskCodec codec;
    private final Topics topics;
    private final SkippedRecords skipped;
    private ProcessorContext<String, TaskResult> context;

    public ArrivalProcessor(TaskCodec codec, Topics topics) {
        this(codec, topics, SkippedRecords.uncounted());
    }

    public ArrivalProcessor(TaskCodec codec, Topics topics, SkippedRecords skipped) {
        this.codec = codec;
        this.topics = topics;
        this.skipped = skipped;
    }

    @Override
    public void init(ProcessorContext<String, TaskResult> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        RecordOrigin origin = new RecordOrigin(
                meta.topic(),
                meta.partition(),
                meta.offset(),
                Instant.ofEpochMilli(record.timestamp()),
                topics.priorityOf(meta.topic()).orElse(Priority.NORMAL));
        if (record.value() == null) {
            skipped.skipped(SkippedRecords.TASKS, SkippedRecords.NO_VALUE, origin.derivedId(), "a tombstone");
            return;
        }
        Task task;
        try {
            task = codec.decode(record.value(), origin);
        } catch (MalformedTaskException | RuntimeException e) {
            // whatever the reason: a record that throws here would end the stream thread, and its
            // replacement would read the same record again
            skipped.skipped(SkippedRecords.TASKS, SkippedRecords.UNREADABLE, origin.derivedId(), e.getMessage());
            return;
        }
        context.forward(new Record<>(task.id(), TaskResult.queued(task), record.timestamp()));
    }
}
