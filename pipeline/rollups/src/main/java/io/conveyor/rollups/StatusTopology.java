package io.conveyor.rollups;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.conveyor.rollups.internal.CommitHook;
import io.conveyor.rollups.internal.SkippedRecords;
import io.conveyor.rollups.internal.StatusTableProcessor;
import io.conveyor.rollups.internal.StatusViewSerde;
import io.conveyor.rollups.internal.TaskResultSerde;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.Stores;

/**
 * The rollups' task-status table: {@code conveyor.results} folded per task id ({@link
 * TaskResult#merge}) into the persistent store {@link #STATUS_STORE} (RocksDB, with a compacted
 * changelog; views in a compact binary form, {@link StatusViewSerde}), queryable by id. Changed
 * views are written at each commit, so a lookup sees a change once the commit after it starts. A
 * task's view is removed once its latest change is older than the retention ({@code
 * rollup.status.retention.ms}). Both: {@link StatusTableProcessor}.
 */
public final class StatusTopology {
    /** The state store of the task-status table. */
    public static final String STATUS_STORE = "task-status";

    private static final String STATUS_HOOK = "task-status-commit";

    /** How long a view stays after its latest change unless configured otherwise. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    private StatusTopology() {}

    /** The status table alone, with the default retention. */
    public static Topology build(Topics topics, TaskCodec codec) {
        return build(topics, codec, DEFAULT_RETENTION);
    }

    /** The status table alone. */
    public static Topology build(Topics topics, TaskCodec codec, Duration retention) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(builder, results(builder, topics, codec), codec, retention);
        return builder.build();
    }

    /**
     * The stream of results, read once per topology (a topology may subscribe to a topic only once,
     * so every part of the rollups shares this stream). Unreadable records and tombstones come as
     * null values, counted by the serde, and records without a key with null keys, counted by the
     * status table; the processors drop them ({@link SkippedRecords}).
     */
    public static KStream<String, TaskResult> results(StreamsBuilder builder, Topics topics, TaskCodec codec) {
        return results(builder, topics, codec, SkippedRecords.uncounted());
    }

    /** As {@link #results(StreamsBuilder, Topics, TaskCodec)}; {@code skipped} counts the unreadable ones. */
    public static KStream<String, TaskResult> results(
            StreamsBuilder builder, Topics topics, TaskCodec codec, SkippedRecords skipped) {
        // no filter node: the processors skip what they cannot use themselves, a node less per result
        return builder.stream(topics.results(), Consumed.with(Serdes.String(), TaskResultSerde.create(codec, skipped)));
    }

    /**
     * Adds the status table, fed by {@code results} (keyed by task id), to {@code builder}; returns
     * the results the windows count: all but a task's second end ({@link StatusTableProcessor}).
     */
    public static KStream<String, TaskResult> addTo(
            StreamsBuilder builder, KStream<String, TaskResult> results, TaskCodec codec, Duration retention) {
        return addTo(builder, results, codec, retention, SkippedRecords.uncounted());
    }

    /** As {@link #addTo(StreamsBuilder, KStream, TaskCodec, Duration)}; {@code skipped} counts unkeyed results. */
    public static KStream<String, TaskResult> addTo(
            StreamsBuilder builder,
            KStream<String, TaskResult> results,
            TaskCodec codec,
            Duration retention,
            SkippedRecords skipped) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("the status retention must be positive, but was " + retention);
        }
        Serde<TaskResult> serde = StatusViewSerde.create(codec);
        // no cache: the processor keeps the views that changed in memory and writes them at commit
        builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
                Stores.persistentTimestampedKeyValueStore(STATUS_STORE), Serdes.String(), serde));
        builder.addStateStore(CommitHook.builder(STATUS_HOOK));
        return results.process(
                () -> new StatusTableProcessor(STATUS_STORE, STATUS_HOOK, retention, skipped),
                Named.as("task-status"),
                STATUS_STORE,
                STATUS_HOOK);
    }
}
