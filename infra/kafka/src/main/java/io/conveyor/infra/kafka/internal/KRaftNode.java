package io.conveyor.infra.kafka.internal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.apache.kafka.server.common.ShareVersion;

/**
 * One KRaft node in this JVM, with the broker and controller roles: formats its storage, runs a
 * {@link KafkaRaftServer}, and stops it.
 *
 * <p>Share groups (KIP-932) are on: the storage is formatted at the latest production
 * metadata.version with the {@code share.version} feature at level 1, which is what turns share
 * groups on in Kafka 4.2 and later (there is no broker switch for it any more; the old {@code
 * group.coordinator.rebalance.protocols=...,share} setting is deprecated).
 *
 * <p>Not thread-safe: the owner ({@code EmbeddedKafkaBroker}) serialises {@link #start} and {@link
 * #stop}. The server runs its own threads.
 *
 * <p>A fatal metadata fault inside the server makes Kafka halt the JVM, as it does in a
 * stand-alone broker; that is Kafka's policy and is not overridden here because doing so would
 * mean changing a JVM-wide static.
 */
public final class KRaftNode {

    private static final Duration READY_POLL_INTERVAL = Duration.ofMillis(10);

    private final KafkaRaftServer server;

    private KRaftNode(KafkaRaftServer server) {
        this.server = server;
    }

    /**
     * Checks the server properties the way the broker will.
     *
     * @throws org.apache.kafka.common.config.ConfigException or IllegalArgumentException with
     *     Kafka's message if they are invalid
     */
    public static void validate(Map<String, String> properties) {
        config(properties);
    }

    /** The storage was formatted and the server started, but it is not known to be ready. */
    public static KRaftNode start(Map<String, String> properties, Path logDir) {
        return start(properties, logDir, List.of());
    }

    /**
     * As {@link #start(Map, Path)}, writing SCRAM credentials into the storage as it is formatted
     * ({@code SCRAM-SHA-512=[name=alice,password="..."]}, the format tool's {@code --add-scram}).
     */
    public static KRaftNode start(Map<String, String> properties, Path logDir, List<String> scramArguments) {
        KafkaConfig config = config(properties);
        format(config, logDir, scramArguments);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            stopQuietly(server);
            throw e;
        }
        return new KRaftNode(server);
    }

    private static KafkaConfig config(Map<String, String> properties) {
        Properties props = new Properties();
        props.putAll(properties);
        return KafkaConfig.fromProps(props, false);
    }

    private static void format(KafkaConfig config, Path logDir, List<String> scramArguments) {
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(config.nodeId())
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName(BrokerProperties.CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.latestProduction())
                .setFeatureLevel(ShareVersion.FEATURE_NAME, ShareVersion.SV_1.featureLevel())
                .setHasDynamicQuorum(false)
                .setScramArguments(scramArguments)
                .addDirectory(logDir.toAbsolutePath().toString());
        try {
            formatter.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format Kafka storage in " + logDir + ": " + e, e);
        }
    }

    /**
     * Waits until an Admin client at {@code bootstrapServers} sees this node and the {@code
     * share.version} feature finalized.
     *
     * @throws TimeoutException if that does not happen within {@code timeout}
     */
    public void awaitReady(String bootstrapServers, Duration timeout) throws TimeoutException, InterruptedException {
        awaitReady(bootstrapServers, Map.of(), timeout);
    }

    /** As {@link #awaitReady(String, Duration)}, with the client settings {@code security} (TLS, SASL). */
    public void awaitReady(String bootstrapServers, Map<String, Object> security, Duration timeout)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> config = new java.util.HashMap<>(security);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_000);
        config.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, 20);
        try (Admin admin = Admin.create(config)) {
            Exception last = null;
            while (System.nanoTime() < deadline) {
                try {
                    if (isReady(admin)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                LockSupport.parkNanos(READY_POLL_INTERVAL.toNanos());
            }
            TimeoutException timedOut =
                    new TimeoutException("Kafka broker at " + bootstrapServers + " not ready in " + timeout);
            if (last != null) {
                timedOut.initCause(last);
            }
            throw timedOut;
        }
    }

    private static boolean isReady(Admin admin) throws ExecutionException, InterruptedException, TimeoutException {
        List<?> nodes = List.copyOf(admin.describeCluster().nodes().get(2, TimeUnit.SECONDS));
        if (nodes.isEmpty()) {
            return false;
        }
        FinalizedVersionRange share = admin.describeFeatures()
                .featureMetadata()
                .get(2, TimeUnit.SECONDS)
                .finalizedFeatures()
                .get(ShareVersion.FEATURE_NAME);
        return share != null && share.maxVersionLevel() >= ShareVersion.SV_1.featureLevel();
    }

    /** Shuts the server down and waits for its threads to finish. */
    public void stop() {
        server.shutdown();
        server.awaitShutdown();
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException ignored) {
            // the start failure is what the caller needs to see
        }
    }

    /** True if {@code e} or one of its causes says a listener could not bind its port. */
    public static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null && t.getMessage().contains("failed to bind"))) {
                return true;
            }
        }
        return false;
    }
}
