package io.conveyor.rollups.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TaskResult} in the results-topic JSON format, the handler's output kept as its bytes (the
 * rollups pass it on and never look inside). An unreadable result deserializes to null,
 * which the topology drops (logged), so one bad record cannot stop the rollups.
 */
public final class TaskResultSerde {
    private static final Logger log = LoggerFactory.getLogger(TaskResultSerde.class);

    private TaskResultSerde() {}

    public static Serde<TaskResult> create(TaskCodec codec) {
        Serializer<TaskResult> serializer = (topic, result) -> result == null ? null : codec.encode(result);
        Deserializer<TaskResult> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return codec.decodeResultKeepingOutput(bytes);
            } catch (MalformedTaskException e) {
                log.warn("Skipping an unreadable result on {}: {}", topic, e.getMessage());
                return null;
            }
        };
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
