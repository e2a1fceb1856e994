package io.conveyor.rollups;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.conveyor.rollups.internal.ArrivalProcessor;
import io.conveyor.rollups.internal.SkippedRecords;
import io.conveyor.rollups.internal.TaskResultSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Arrivals: every record on a task topic ({@code conveyor.tasks.high|normal|low}) becomes its
 * task's {@code QUEUED} change on {@code conveyor.results}, keyed by task id, whoever wrote it —
 * the API, kcat, or any other Kafka client. So every task shows as {@code QUEUED} in the status
 * table from the moment it is on its topic, and the windowed rollups count it as an arrival.
 *
 * <p>Why here and not in the API: the API's write path stays one record per task (the task), and
 * tasks written straight to Kafka get the same {@code QUEUED} view as tasks submitted over HTTP.
 * The change is written in the rollups' exactly-once transaction, once per task record. A worker's
 * {@code RUNNING} may reach the results topic first; {@link TaskResult#merge} keeps the later
 * phase, so a late {@code QUEUED} never moves a task back.
 *
 * <p>Ids and timestamps are the worker's: the envelope's {@code id} and {@code submittedAt}, or,
 * when a plain client left them out, the id derived from topic-partition-offset and the record's
 * timestamp. Records that cannot be decoded are skipped here (the worker dead-letters them and
 * writes their {@code FAILED} change) and counted ({@link SkippedRecords}).
 */
public final class ArrivalTopology {
    private ArrivalTopology() {}

    /** Adds the arrivals to {@code builder}, counting skipped records nowhere. */
    public static void addTo(StreamsBuilder builder, Topics topics, TaskCodec codec) {
        addTo(builder, topics, codec, SkippedRecords.uncounted());
    }

    /** Adds the arrivals to {@code builder}; {@code skipped} counts the task records that are not tasks. */
    public static void addTo(StreamsBuilder builder, Topics topics, TaskCodec codec, SkippedRecords skipped) {
        builder.stream(topics.taskTopics(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(() -> new ArrivalProcessor(codec, topics, skipped))
                .to(topics.results(), Produced.with(Serdes.String(), TaskResultSerde.create(codec)));
    }

    /** The arrivals alone, for tests. */
    public static Topology build(Topics topics, TaskCodec codec) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(builder, topics, codec);
        return builder.build();
    }
}
