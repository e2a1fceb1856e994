package io.conveyor.infra.kafka;

import com.github.dockerjava.api.DockerClient;
import io.conveyor.infra.kafka.internal.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * A KRaft cluster of {@code n} Docker containers (each node a broker and a controller) from an
 * image that behaves like {@code apache/kafka}, such as the local {@code conveyor/kafka:4.3.1-local}
 * ({@code infra/deploy/kafka-image/build.sh}). Configured like a production cluster of three:
 * replication factor 3 and {@code min.insync.replicas=2} for every topic the brokers create and by
 * default, no automatic topic creation, group members timed out after 10 s.
 *
 * <p>The containers use the host's network and listen on free ports of 127.0.0.1, so that a node
 * restarted after {@link #kill} comes back at the same address its clients know (a container
 * restarted with published ports can get other host ports). Its data lives in the container,
 * which a kill leaves in place. Needs the optional {@code org.testcontainers:testcontainers}
 * dependency and a Docker engine.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and removes the containers.
 */
public final class ContainerKafkaCluster implements KafkaCluster {
    private static final Logger log = LoggerFactory.getLogger(ContainerKafkaCluster.class);
    private static final String CLUSTER_ID = "Y29udmV5b3ItY2x1c3Rlcg"; // "conveyor-cluster", base64url
    private static final String STARTED = ".*Kafka Server started.*";
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);

    private record Member(int id, int port, GenericContainer<?> container) {}

    private final Map<Integer, Member> members;
    private final String bootstrapServers;
    private final String image;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerKafkaCluster(Map<Integer, Member> members, String image) {
        this.members = Collections.unmodifiableMap(members);
        this.image = image;
        this.bootstrapServers =
                members.values().stream().map(m -> "127.0.0.1:" + m.port()).collect(Collectors.joining(","));
    }

    /**
     * Starts {@code nodes} nodes from {@code image} and returns once every one serves clients.
     *
     * @param overrides broker properties for every node, applied last (for example {@code
     *     group.consumer.session.timeout.ms})
     * @throws KafkaBrokerException if there is no Docker engine, the image is missing, or the
     *     cluster does not come up
     */
    public static ContainerKafkaCluster start(String image, int nodes, Map<String, String> overrides) {
        Objects.requireNonNull(image, "image");
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1, but was " + nodes);
        }
        int replication = Math.min(3, nodes);
        int minInsync = Math.max(1, replication - 1);
        Map<Integer, int[]> ports = new LinkedHashMap<>();
        for (int id = 1; id <= nodes; id++) {
            ports.put(id, new int[] {Ports.freePort("127.0.0.1"), Ports.freePort("127.0.0.1")});
        }
        String voters = ports.entrySet().stream()
                .map(e -> e.getKey() + "@127.0.0.1:" + e.getValue()[1])
                .collect(Collectors.joining(","));
        Map<Integer, Member> members = new LinkedHashMap<>();
        long started = System.nanoTime();
        for (var e : ports.entrySet()) {
            int id = e.getKey();
            int port = e.getValue()[0];
            int controller = e.getValue()[1];
            Map<String, String> env = new LinkedHashMap<>();
            env.put("CLUSTER_ID", CLUSTER_ID);
            env.put("KAFKA_NODE_ID", String.valueOf(id));
            env.put("KAFKA_PROCESS_ROLES", "broker,controller");
            env.put("KAFKA_CONTROLLER_QUORUM_VOTERS", voters);
            env.put("KAFKA_LISTENERS", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
            env.put("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://127.0.0.1:" + port);
            env.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
            env.put("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT");
            env.put("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
            env.put("KAFKA_LOG_DIRS", "/tmp/kafka-data");
            env.put("KAFKA_DEFAULT_REPLICATION_FACTOR", String.valueOf(replication));
            env.put("KAFKA_MIN_INSYNC_REPLICAS", String.valueOf(minInsync));
            env.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", String.valueOf(replication));
            env.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", String.valueOf(replication));
            env.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", String.valueOf(minInsync));
            env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", String.valueOf(replication));
            env.put("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", String.valueOf(minInsync));
            env.put("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
            env.put("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
            // as the compose cluster (docs/operations.md, "Recovery after a crash")
            env.put("KAFKA_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS", "1000");
            env.put("KAFKA_GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS", "1000");
            env.put("KAFKA_GROUP_CONSUMER_SESSION_TIMEOUT_MS", "10000");
            env.put("KAFKA_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS", "10000");
            env.put("KAFKA_GROUP_SHARE_HEARTBEAT_INTERVAL_MS", "1000");
            env.put("KAFKA_GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS", "1000");
            env.put("KAFKA_GROUP_SHARE_SESSION_TIMEOUT_MS", "10000");
            env.put("KAFKA_GROUP_SHARE_MIN_SESSION_TIMEOUT_MS", "10000");
            env.put("KAFKA_HEAP_OPTS", "-Xmx384m -Xms384m");
            overrides.forEach((k, v) -> env.put(
                    "KAFKA_"
                            + k.toUpperCase(java.util.Locale.ROOT)
                                    .replace("_", "__")
                                    .replace("-", "___")
                                    .replace('.', '_'),
                    v));
            GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                    .withNetworkMode("host")
                    .withEnv(env)
                    .withLogConsumer(frame -> {
                        // errors are expected while nodes are killed or frozen; a fatal one is news
                        String line = frame.getUtf8StringWithoutLineEnding();
                        if (line.contains("FATAL")) {
                            log.warn("kafka-{}: {}", id, line);
                        } else if (line.contains(" ERROR ")) {
                            log.debug("kafka-{}: {}", id, line);
                        }
                    })
                    .waitingFor(Wait.forLogMessage(STARTED, 1).withStartupTimeout(STARTUP_TIMEOUT));
            members.put(id, new Member(id, port, container));
        }
        ContainerKafkaCluster cluster = new ContainerKafkaCluster(members, image);
        try {
            // a controller quorum needs a majority up: the nodes must start together
            Startables.deepStart(members.values().stream().map(Member::container))
                    .get(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            cluster.awaitNodes(nodes);
        } catch (Exception e) {
            cluster.close();
            throw new KafkaBrokerException(
                    "Cannot start a " + nodes + "-node Kafka cluster from image " + image + ": " + e
                            + ". Check that a Docker engine is running ('docker info') and that the image exists;"
                            + " build the local one with infra/deploy/kafka-image/build.sh.",
                    e);
        }
        log.info(
                "Kafka cluster of {} nodes ({}) ready at {} in {} ms",
                nodes,
                image,
                cluster.bootstrapServers,
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return cluster;
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public List<Integer> nodeIds() {
        return List.copyOf(members.keySet());
    }

    @Override
    public void kill(int nodeId) {
        docker().killContainerCmd(member(nodeId).container().getContainerId())
                .withSignal("KILL")
                .exec();
        log.info("Killed Kafka node {} (SIGKILL)", nodeId);
    }

    @Override
    public void restart(int nodeId) {
        docker().startContainerCmd(member(nodeId).container().getContainerId()).exec();
        awaitNode(nodeId, STARTUP_TIMEOUT);
        log.info("Restarted Kafka node {}", nodeId);
    }

    @Override
    public void freezeAll() {
        members.values()
                .forEach(m -> docker().pauseContainerCmd(m.container().getContainerId())
                        .exec());
        log.info("Froze every Kafka node");
    }

    @Override
    public void thawAll() {
        members.values()
                .forEach(m -> docker().unpauseContainerCmd(m.container().getContainerId())
                        .exec());
        log.info("Thawed every Kafka node");
    }

    /** Until every one of the {@code n} nodes is in the cluster's metadata. */
    private void awaitNodes(int n) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == n) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new KafkaBrokerException(
                                "the cluster at " + bootstrapServers + " did not show " + n + " nodes within "
                                        + STARTUP_TIMEOUT,
                                e);
                    }
                }
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
        }
    }

    /** Until the node answers a client itself (its own listener) and the cluster lists it. */
    private void awaitNode(int nodeId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = new java.util.HashMap<>();
        config.put(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + member(nodeId).port());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        try (Admin admin = Admin.create(config)) {
            while (System.nanoTime() < deadline) {
                try {
                    List<Integer> ids = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
                            .map(Node::id)
                            .toList();
                    if (ids.contains(nodeId)) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
        }
        throw new KafkaBrokerException("Kafka node " + nodeId + " did not come back within " + timeout);
    }

    private Admin admin() {
        Map<String, Object> config = clientConfig();
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        return Admin.create(config);
    }

    private Member member(int nodeId) {
        Member m = members.get(nodeId);
        if (m == null) {
            throw new IllegalArgumentException("no node " + nodeId + "; the nodes are " + members.keySet());
        }
        return m;
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<RuntimeException> failures = new ArrayList<>();
        for (Member m : members.values()) {
            try {
                String id = m.container().getContainerId();
                if (id != null) {
                    // a frozen container cannot be stopped
                    try {
                        docker().unpauseContainerCmd(id).exec();
                    } catch (RuntimeException notPaused) {
                        // it was not paused
                    }
                }
                m.container().stop();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            log.warn("Could not remove every container of {}: {}", this, failures);
        }
    }

    @Override
    public String toString() {
        return "ContainerKafkaCluster[" + image + ", " + bootstrapServers + "]";
    }
}
