package io.conveyor.rollups.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link TaskResult} in the results-topic JSON format, the handler's output kept as its bytes (the
 * rollups pass it on and never look inside). A result that cannot be read, whatever the reason, and
 * a tombstone deserialize to null, which the topology drops, and are counted as skipped ({@link
 * SkippedRecords}): no record can stop the rollups.
 */
public final class TaskResultSerde {
    private TaskResultSerde() {}

    /** Skipped records count nowhere: for writing, and for topologies built alone. */
    public static Serde<TaskResult> create(TaskCodec codec) {
        return create(codec, SkippedRecords.uncounted());
    }

    public static Serde<TaskResult> create(TaskCodec codec, SkippedRecords skipped) {
        Serializer<TaskResult> serializer = (topic, result) -> result == null ? null : codec.encode(result);
        Deserializer<TaskResult> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                skipped.skipped(SkippedRecords.RESULTS, SkippedRecords.NO_VALUE, topic, "a tombstone");
                return null;
            }
            try {
                return codec.decodeResultKeepingOutput(bytes);
            } catch (MalformedTaskException | RuntimeException e) {
                skipped.skipped(SkippedRecords.RESULTS, SkippedRecords.UNREADABLE, topic, e.getMessage());
                return null;
            }
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
