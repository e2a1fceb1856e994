package io.conveyor.consumers;

import io.conveyor.consumers.internal.WorkerRuntime;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * A worker: a member of the worker consumer group that runs the tasks of its partitions with
 * bounded memory.
 *
 * <p>Threads: one platform thread {@code conveyor-poll-N} owns the KafkaConsumer (polling,
 * pausing, committing); in share mode {@code conveyor-share-N-<priority>} owns the share consumer
 * of one task topic and the poll thread reads only the retry topic; {@code conveyor-control-N} reads
 * cancellations; each attempt runs on a virtual thread {@code conveyor-worker-M}; timeouts fire on
 * {@code conveyor-timeouts-N}. The methods of this interface may be called from any thread.
 */
public interface Worker extends AutoCloseable {

    /** Joins the group and starts running tasks; an error it cannot recover from is only logged. */
    static Worker start(ConveyorConfig config, HandlerRegistry handlers, MeterRegistry registry) {
        return start(config, handlers, registry, new FatalErrors());
    }

    /**
     * Joins the group and starts running tasks. An error the worker cannot recover from (Kafka
     * refusing it, a missing ACL: {@link io.conveyor.core.AccessDenied}) stops it and goes to
     * {@code fatal}, once, naming the resource and the operation.
     */
    static Worker start(ConveyorConfig config, HandlerRegistry handlers, MeterRegistry registry, FatalErrors fatal) {
        return WorkerRuntime.start(config, handlers, registry, Clock.systemUTC(), fatal);
    }

    /** This worker's id, as written in results. */
    String id();

    /** Records read and not yet finished; never above {@code worker.queue.capacity}. */
    int queueDepth();

    /** Attempts running now. */
    int inflight();

    /** Partitions paused now (backpressure, or a retry partition waiting for its next due time). */
    Set<TopicPartition> pausedPartitions();

    /**
     * Stops gracefully: stops fetching, lets running tasks finish within {@code
     * worker.shutdown.timeout.ms}, commits what is done and leaves the group.
     */
    @Override
    void close();
}
