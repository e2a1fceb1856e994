package io.conveyor.infra.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * A Kafka cluster of several KRaft nodes (each a broker and a controller) whose nodes can be
 * killed, restarted and cut off for real, for failover tests. A {@link KafkaBroker} too: clients
 * reach every node through {@link #bootstrapServers()}.
 *
 * <p>Implementations are thread-safe; {@link #close()} is idempotent.
 */
public interface KafkaCluster extends KafkaBroker {

    /** The node ids, in order. */
    List<Integer> nodeIds();

    /** Kills the node's process with SIGKILL: no shutdown, no leadership handed over. */
    void kill(int nodeId);

    /**
     * Starts a killed node again on its old data and returns once the cluster sees it (it may
     * still be catching up its replicas).
     */
    void restart(int nodeId);

    /**
     * Makes every node unreachable without closing anything: their processes are frozen, so
     * connections stay open and requests time out, as on a network partition.
     */
    void freezeAll();

    /** Lets every frozen node run again. */
    void thawAll();

    /** The node id of the active controller (the leader of the KRaft quorum). */
    default int activeController() {
        try (Admin admin = admin()) {
            return admin.describeMetadataQuorum()
                    .quorumInfo()
                    .get(30, TimeUnit.SECONDS)
                    .leaderId();
        } catch (Exception e) {
            throw new KafkaBrokerException("could not describe the metadata quorum of " + this + ": " + e, e);
        }
    }

    /** The node that leads the most partitions of {@code topics} (the lowest id on a tie). */
    default int leaderOfMostPartitions(Collection<String> topics) {
        try (Admin admin = admin()) {
            Map<Integer, Integer> led = new HashMap<>();
            for (TopicDescription d : admin.describeTopics(topics)
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    Node leader = p.leader();
                    if (leader != null) {
                        led.merge(leader.id(), 1, Integer::sum);
                    }
                }
            }
            return led.entrySet().stream()
                    .sorted(Map.Entry.<Integer, Integer>comparingByValue()
                            .reversed()
                            .thenComparing(Map.Entry.comparingByKey()))
                    .findFirst()
                    .orElseThrow(() -> new KafkaBrokerException("no partition of " + topics + " has a leader"))
                    .getKey();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaBrokerException("interrupted", e);
        } catch (Exception e) {
            throw new KafkaBrokerException("could not describe " + topics + " on " + this + ": " + e, e);
        }
    }

    /** An Admin client of this cluster with short timeouts, for the methods above. */
    private Admin admin() {
        Map<String, Object> config = clientConfig();
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)
                Duration.ofSeconds(30).toMillis());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)
                Duration.ofSeconds(5).toMillis());
        return Admin.create(config);
    }
}
