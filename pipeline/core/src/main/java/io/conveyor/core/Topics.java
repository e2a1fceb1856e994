package io.conveyor.core;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The topic catalogue: every topic Conveyor uses, named from one prefix. Immutable.
 *
 * <ul>
 *   <li>{@code <prefix>.tasks.high|normal|low}: submitted tasks, one topic per priority
 *   <li>{@code <prefix>.tasks.retry}: attempts waiting for their backoff to pass
 *   <li>{@code <prefix>.tasks.dlq}: dead letters (exhausted or undecodable), reason in headers
 *   <li>{@code <prefix>.results}: every state change, keyed by task id
 *   <li>{@code <prefix>.control}: cancellations, keyed by task id
 *   <li>{@code <prefix>.rollups}: closed windows of per-type figures
 * </ul>
 *
 * <p>A value: equal when prefix, partitions, replication factor and min ISR are.
 */
public final class Topics {

    public static final String DEFAULT_PREFIX = "conveyor";
    public static final int DEFAULT_PARTITIONS = 8;

    private static final long DAY_MS = 24L * 60 * 60 * 1000;

    private final String prefix;
    private final int partitions;
    private final Optional<Short> replicationFactor;
    private final Optional<Integer> minInsyncReplicas;
    // the names, built once: the worker asks for them for every record it reads and writes
    private final EnumMap<Priority, String> taskTopics = new EnumMap<>(Priority.class);
    private final Map<String, Priority> priorities = new HashMap<>();
    private final String retry;
    private final String deadLetters;
    private final String results;
    private final String control;
    private final String rollups;

    public Topics(String prefix, int partitions, Optional<Short> replicationFactor) {
        this(prefix, partitions, replicationFactor, Optional.empty());
    }

    /**
     * @param replicationFactor of every topic, empty for the broker's default
     * @param minInsyncReplicas {@code min.insync.replicas} of every topic, empty for the broker's
     *     default
     */
    public Topics(
            String prefix, int partitions, Optional<Short> replicationFactor, Optional<Integer> minInsyncReplicas) {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "topics.prefix must be letters, digits, '.', '_' or '-', but was '" + prefix + "'");
        }
        this.prefix = prefix;
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
        this.minInsyncReplicas = minInsyncReplicas;
        for (Priority p : Priority.values()) {
            taskTopics.put(p, prefix + ".tasks." + p.wireName());
            priorities.put(taskTopics.get(p), p);
        }
        this.retry = prefix + ".tasks.retry";
        this.deadLetters = prefix + ".tasks.dlq";
        this.results = prefix + ".results";
        this.control = prefix + ".control";
        this.rollups = prefix + ".rollups";
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX, DEFAULT_PARTITIONS, Optional.empty());
    }

    public String prefix() {
        return prefix;
    }

    public int partitions() {
        return partitions;
    }

    public Optional<Short> replicationFactor() {
        return replicationFactor;
    }

    /** The {@code min.insync.replicas} every topic is created with; empty for the broker's default. */
    public Optional<Integer> minInsyncReplicas() {
        return minInsyncReplicas;
    }

    public String tasks(Priority priority) {
        return taskTopics.get(priority);
    }

    /** The three task topics, highest priority first. */
    public List<String> taskTopics() {
        return List.of(tasks(Priority.HIGH), tasks(Priority.NORMAL), tasks(Priority.LOW));
    }

    /** The priority whose topic this is, if it is a task topic. */
    public Optional<Priority> priorityOf(String topic) {
        return Optional.ofNullable(priorities.get(topic));
    }

    public String retry() {
        return retry;
    }

    public String deadLetters() {
        return deadLetters;
    }

    public String results() {
        return results;
    }

    public String control() {
        return control;
    }

    public String rollups() {
        return rollups;
    }

    /** Every topic with its settings, as provisioned by {@link TopicProvisioner}. */
    public List<TopicSpec> all() {
        Map<String, String> tasks = Map.of("retention.ms", String.valueOf(7 * DAY_MS));
        return List.of(
                spec(tasks(Priority.HIGH), tasks),
                spec(tasks(Priority.NORMAL), tasks),
                spec(tasks(Priority.LOW), tasks),
                spec(retry(), tasks),
                spec(deadLetters(), Map.of("retention.ms", String.valueOf(30 * DAY_MS))),
                spec(results(), Map.of("retention.ms", String.valueOf(7 * DAY_MS))),
                spec(control(), Map.of("cleanup.policy", "compact,delete", "retention.ms", String.valueOf(DAY_MS))),
                spec(rollups(), Map.of("retention.ms", String.valueOf(7 * DAY_MS))));
    }

    private TopicSpec spec(String name, Map<String, String> configs) {
        Map<String, String> all = new HashMap<>(configs);
        minInsyncReplicas.ifPresent(n -> all.put(MIN_INSYNC_REPLICAS, String.valueOf(n)));
        return new TopicSpec(name, partitions, replicationFactor, all);
    }

    /** The topic config that {@code topics.min.insync.replicas} sets. */
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";

    @Override
    public boolean equals(Object o) {
        return o instanceof Topics t
                && prefix.equals(t.prefix)
                && partitions == t.partitions
                && replicationFactor.equals(t.replicationFactor)
                && minInsyncReplicas.equals(t.minInsyncReplicas);
    }

    @Override
    public int hashCode() {
        return Objects.hash(prefix, partitions, replicationFactor, minInsyncReplicas);
    }

    @Override
    public String toString() {
        return "Topics[prefix=" + prefix + ", partitions=" + partitions + ", replicationFactor=" + replicationFactor
                + ", minInsyncReplicas=" + minInsyncReplicas + "]";
    }
}
