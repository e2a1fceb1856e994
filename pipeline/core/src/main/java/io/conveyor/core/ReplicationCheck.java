package io.conveyor.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Whether topics that exist are replicated as the configuration asks ({@code topics.replication},
 * {@code topics.min.insync.replicas}). Conveyor never changes an existing topic, so a topic created
 * before the settings were raised (or by Kafka Streams on a broker whose default replication is
 * 1) stays short of them; a role refuses to run on it rather than run with less safety than it was
 * told to have. Stateless; uses the caller's Admin client from the caller's thread.
 */
public final class ReplicationCheck {

    /** One topic short of its configured replication, and how to fix it. */
    public record Shortfall(String topic, String problem, String fix) {
        @Override
        public String toString() {
            return "topic " + topic + " " + problem + "; " + fix;
        }
    }

    private final Admin admin;
    private final Duration timeout;
    private final String bootstrapServers;

    public ReplicationCheck(Admin admin, Duration timeout, String bootstrapServers) {
        this.admin = admin;
        this.timeout = timeout;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * The topics among {@code topics} that exist and have fewer replicas, or a lower {@code
     * min.insync.replicas}, than {@code topics} asks (where it asks; empty settings ask nothing).
     */
    public List<Shortfall> shortfalls(Collection<String> names, Topics topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        Optional<Short> replication = topics.replicationFactor();
        Optional<Integer> minInsync = topics.minInsyncReplicas();
        if (replication.isEmpty() && minInsync.isEmpty()) {
            return List.of();
        }
        Set<String> present = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<String> existing =
                names.stream().filter(present::contains).sorted().toList();
        if (existing.isEmpty()) {
            return List.of();
        }
        List<Shortfall> shortfalls = new ArrayList<>();
        if (replication.isPresent()) {
            Map<String, TopicDescription> described =
                    admin.describeTopics(existing).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (String name : existing) {
                int replicas = described.get(name).partitions().stream()
                        .mapToInt(p -> p.replicas().size())
                        .min()
                        .orElse(0);
                if (replicas < replication.get()) {
                    shortfalls.add(new Shortfall(
                            name,
                            "has replication factor " + replicas + ", but topics.replication is " + replication.get(),
                            "Conveyor does not change existing topics: raise its replication with"
                                    + " kafka-reassign-partitions.sh (docs/operations.md, 'Raising the replication of"
                                    + " a topic'), or set topics.replication=" + replicas + " to accept it"));
                }
            }
        }
        if (minInsync.isPresent()) {
            List<ConfigResource> resources = existing.stream()
                    .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                    .toList();
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(resources).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            for (ConfigResource resource : resources) {
                ConfigEntry entry = configs.get(resource).get(Topics.MIN_INSYNC_REPLICAS);
                int actual = entry == null ? 1 : Integer.parseInt(entry.value());
                if (actual < minInsync.get()) {
                    shortfalls.add(new Shortfall(
                            resource.name(),
                            "has min.insync.replicas=" + actual + ", but topics.min.insync.replicas is "
                                    + minInsync.get(),
                            "raise it with kafka-configs.sh --bootstrap-server " + bootstrapServers
                                    + " --alter --entity-type topics --entity-name " + resource.name()
                                    + " --add-config min.insync.replicas=" + minInsync.get()
                                    + ", or set topics.min.insync.replicas=" + actual + " to accept it"));
                }
            }
        }
        return List.copyOf(shortfalls);
    }

    /** The names of the topics on the cluster that {@code which} accepts (say, a prefix's). */
    public Set<String> existing(Predicate<String> which)
            throws ExecutionException, InterruptedException, TimeoutException {
        return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream()
                .filter(which)
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Throws, naming every topic short of its replication and the fix for each, if any is.
     *
     * @throws IllegalStateException listing the shortfalls
     */
    public void require(Collection<String> names, Topics topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<Shortfall> shortfalls = shortfalls(names, topics);
        if (!shortfalls.isEmpty()) {
            throw new IllegalStateException("existing topics are replicated less than the configuration asks, so"
                    + " this process will not run on them:"
                    + shortfalls.stream()
                            .map(s -> System.lineSeparator() + "  - " + s)
                            .collect(Collectors.joining()));
        }
    }
}
