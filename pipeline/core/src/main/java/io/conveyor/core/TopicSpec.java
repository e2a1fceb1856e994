package io.conveyor.core;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A topic Conveyor needs: its name, partition count, replication factor (empty for the broker's
 * default) and topic-level configs.
 */
public record TopicSpec(String name, int partitions, Optional<Short> replicationFactor, Map<String, String> configs) {
    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions of topic " + name + " must be >= 1, but was " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
