package io.conveyor.infra.kafka.internal;

import io.conveyor.infra.kafka.BrokerSecurity;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The server properties of a single-node KRaft broker that is also its own controller; stateless.
 *
 * <p>Internal topics get replication factor 1, min ISR 1 and one partition (transactions, consumer
 * groups and share groups all work on one node), the group rebalance delay is 0, topics are never
 * created automatically, and thread counts and buffers are sized for a process that shares its
 * JVM with the application or the tests.
 */
public final class BrokerProperties {

    /** Node id of the only node. */
    public static final int NODE_ID = 1;

    /** Listener clients use. */
    public static final String CLIENT_LISTENER = "PLAINTEXT";

    /** Client listener of a secured broker ({@code SASL_SSL} or {@code SSL}). */
    public static final String SECURED_CLIENT_LISTENER = "CLIENT";

    /** Plaintext listener of a secured broker's own traffic (inter-broker), on 127.0.0.1. */
    public static final String INTERNAL_LISTENER = "INTERNAL";

    /** Listener of the KRaft controller, on its own port. */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";

    /**
     * Keys that the embedded broker owns: overriding them would break formatting, the quorum or
     * the log directory that close() deletes.
     */
    public static final Set<String> RESERVED_KEYS = Set.of(
            "process.roles",
            "node.id",
            "broker.id",
            "controller.quorum.voters",
            "controller.quorum.bootstrap.servers",
            "controller.listener.names",
            "listeners",
            "log.dir",
            "log.dirs",
            "metadata.log.dir");

    /** How long a consumer or share group member may go without a heartbeat before it is dropped. */
    public static final String SESSION_TIMEOUT_MS = "6000";

    private BrokerProperties() {}

    /**
     * Server properties for a node listening for clients on {@code host:port}, for the controller
     * on {@code 127.0.0.1:controllerPort}, storing its logs in {@code logDir}; {@code overrides}
     * are applied last.
     */
    public static Map<String, String> of(
            String host, int port, int controllerPort, Path logDir, Map<String, String> overrides) {
        return of(host, port, controllerPort, 0, logDir, null, overrides);
    }

    /**
     * As {@link #of(String, int, int, Path, Map)}, with the client listener secured as {@code
     * security} says (null: plaintext) and the broker's own traffic on a plaintext listener of
     * {@code 127.0.0.1:internalPort}.
     */
    public static Map<String, String> of(
            String host,
            int port,
            int controllerPort,
            int internalPort,
            Path logDir,
            BrokerSecurity security,
            Map<String, String> overrides) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put(
                "listeners",
                CLIENT_LISTENER
                        + "://"
                        + hostForUri(host)
                        + ":"
                        + port
                        + ","
                        + CONTROLLER_LISTENER
                        + "://127.0.0.1:"
                        + controllerPort);
        p.put("advertised.listeners", CLIENT_LISTENER + "://" + advertisedHost(host) + ":" + port);
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        if (security != null) {
            secure(p, host, port, controllerPort, internalPort, security);
        }

        // one node: every internal topic has one replica and one partition
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "1");

        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");

        // KIP-848 consumer groups and KIP-932 share groups get their assignment on a heartbeat;
        // Kafka's 5 s default makes every test (and `conveyor run`) wait 5 s for it
        p.put("group.consumer.heartbeat.interval.ms", "1000");
        p.put("group.consumer.min.heartbeat.interval.ms", "1000");
        p.put("group.share.heartbeat.interval.ms", "1000");
        p.put("group.share.min.heartbeat.interval.ms", "1000");
        // A member that dies without leaving (SIGKILL, a lost machine) keeps its partitions until its
        // session times out, and Kafka's 45 s (also the least it allows by default) is that long a
        // stall of the dead worker's partitions. Six missed heartbeats of a second each is enough on
        // one machine: a member paused longer is taken for dead (and its work runs again, at least
        // once, elsewhere).
        p.put("group.consumer.session.timeout.ms", SESSION_TIMEOUT_MS);
        p.put("group.consumer.min.session.timeout.ms", SESSION_TIMEOUT_MS);
        p.put("group.share.session.timeout.ms", SESSION_TIMEOUT_MS);
        p.put("group.share.min.session.timeout.ms", SESSION_TIMEOUT_MS);

        // a small footprint inside someone else's JVM
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.threads", "1");
        p.put("log.cleaner.dedupe.buffer.size", Long.toString(8L * 1024 * 1024));
        p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
        p.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));

        p.putAll(overrides);
        return p;
    }

    private static void secure(
            Map<String, String> p,
            String host,
            int port,
            int controllerPort,
            int internalPort,
            BrokerSecurity security) {
        String client = SECURED_CLIENT_LISTENER;
        p.put(
                "listeners",
                client + "://" + hostForUri(host) + ":" + port + "," + INTERNAL_LISTENER + "://127.0.0.1:"
                        + internalPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put(
                "advertised.listeners",
                client + "://" + advertisedHost(host) + ":" + port + "," + INTERNAL_LISTENER + "://127.0.0.1:"
                        + internalPort);
        p.put(
                "listener.security.protocol.map",
                client + ":" + security.protocol() + "," + INTERNAL_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER
                        + ":PLAINTEXT");
        p.put("inter.broker.listener.name", INTERNAL_LISTENER);
        p.putAll(security.listenerProperties(client));
        if (security.acls()) {
            p.put("authorizer.class.name", BrokerSecurity.AUTHORIZER);
            // the broker's own traffic (controller, inter-broker) arrives as ANONYMOUS on loopback
            p.put("super.users", "User:ANONYMOUS;" + security.adminPrincipal());
            p.put("allow.everyone.if.no.acl.found", "false");
        }
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /**
     * The host clients are told to use: {@code host}, except that a wildcard address cannot be
     * advertised, so clients on this machine reach it on loopback.
     */
    public static String advertisedHost(String host) {
        return switch (host) {
            case "0.0.0.0" -> "127.0.0.1";
            case "::", "[::]" -> "[::1]";
            default -> hostForUri(host);
        };
    }
}
