package io.conveyor.rollups;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.conveyor.rollups.internal.TaskResultSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The rollups' Kafka Streams topology: {@code conveyor.results} folded per task id into the
 * task-status table ({@link TaskResult#merge}), queryable as {@link #STATUS_STORE}.
 */
public final class StatusTopology {
    /** The state store of the task-status table. */
    public static final String STATUS_STORE = "task-status";

    private StatusTopology() {}

    public static Topology build(Topics topics, TaskCodec codec) {
        Serde<TaskResult> results = TaskResultSerde.create(codec);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.results(), Consumed.with(Serdes.String(), results))
                .filter((id, result) -> id != null && result != null)
                .groupByKey(Grouped.with(Serdes.String(), results))
                .aggregate(
                        () -> null,
                        (id, change, view) -> TaskResult.merge(view, change),
                        Materialized.<String, TaskResult, KeyValueStore<Bytes, byte[]>>as(STATUS_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(results));
        return builder.build();
    }
}
