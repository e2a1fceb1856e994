package io.conveyor.core;

import java.util.List;
import java.util.Map;
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
 */
public record Topics(String prefix, int partitions, Optional<Short> replicationFactor) {

    public static final String DEFAULT_PREFIX = "conveyor";
    public static final int DEFAULT_PARTITIONS = 8;

    private static final long DAY_MS = 24L * 60 * 60 * 1000;

    public Topics {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "topics.prefix must be letters, digits, '.', '_' or '-', but was '" + prefix + "'");
        }
    }

    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX, DEFAULT_PARTITIONS, Optional.empty());
    }

    public String tasks(Priority priority) {
        return prefix + ".tasks." + priority.wireName();
    }

    /** The three task topics, highest priority first. */
    public List<String> taskTopics() {
        return List.of(tasks(Priority.HIGH), tasks(Priority.NORMAL), tasks(Priority.LOW));
    }

    /** The priority whose topic this is, if it is a task topic. */
    public Optional<Priority> priorityOf(String topic) {
        for (Priority p : Priority.values()) {
            if (tasks(p).equals(topic)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public String retry() {
        return prefix + ".tasks.retry";
    }

    public String deadLetters() {
        return prefix + ".tasks.dlq";
    }

    public String results() {
        return prefix + ".results";
    }

    public String control() {
        return prefix + ".control";
    }

    public String rollups() {
        return prefix + ".rollups";
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
        return new TopicSpec(name, partitions, replicationFactor, configs);
    }
}
