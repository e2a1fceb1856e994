package io.conveyor.core;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a task record was read from. Supplies what a record written by a plain Kafka client may
 * leave out: its id ({@code topic-partition-offset}), its submission time (the record timestamp)
 * and its priority (from the topic).
 */
public record RecordOrigin(String topic, int partition, long offset, Instant timestamp, Priority priority) {
    public RecordOrigin {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(priority, "priority");
    }

    /** The id given to a task that arrived without one. */
    public String derivedId() {
        return topic + "-" + partition + "-" + offset;
    }
}
