package io.conveyor.infra.kafka;

import io.conveyor.infra.kafka.internal.BrokerProperties;
import io.conveyor.infra.kafka.internal.KRaftNode;
import io.conveyor.infra.kafka.internal.Ports;
import io.conveyor.infra.kafka.internal.TempDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller roles) running inside this JVM,
 * for {@code conveyor run} and for tests.
 *
 * <p>Transactions, consumer groups (classic and KIP-848), Kafka Streams exactly-once and share
 * groups (KIP-932) work on it. Its logs live in a new directory under {@code java.io.tmpdir} that
 * {@link #close()} deletes.
 *
 * <p>By default clients connect in plaintext; {@link Settings#security()} makes the client listener
 * require SASL_SSL with SCRAM-SHA-512 or mutual TLS, optionally with ACLs ({@link BrokerSecurity};
 * {@link CertificateAuthority} makes the certificates), and {@link #clientConfig()} then logs in
 * as the admin, a super user.
 *
 * <p>{@link #start} returns once an Admin client can describe the cluster. The caller owns the
 * lifecycle: no JVM shutdown hook is installed, so call {@link #close()} (try-with-resources).
 * Instances are thread-safe; {@code close()} is idempotent and returns at once if another thread
 * is already closing.
 *
 * <pre>{@code
 * try (var broker = EmbeddedKafkaBroker.start(Settings.builder().port(9092).build())) {
 *   producerConfig.put("bootstrap.servers", broker.bootstrapServers());
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements KafkaBroker {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** How often to retry with new ports when a port picked as free was taken meanwhile. */
    private static final int FREE_PORT_ATTEMPTS = 3;

    private final KRaftNode node;
    private final Path logDir;
    private final int port;
    private final String bootstrapServers;
    private final Map<String, Object> clientSecurity;
    private final Duration startupTime;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafkaBroker(
            KRaftNode node,
            Path logDir,
            int port,
            String bootstrapServers,
            Map<String, Object> clientSecurity,
            Duration startupTime) {
        this.node = node;
        this.logDir = logDir;
        this.port = port;
        this.bootstrapServers = bootstrapServers;
        this.clientSecurity = Map.copyOf(clientSecurity);
        this.startupTime = startupTime;
    }

    /** Starts a broker on a free port of 127.0.0.1. */
    public static EmbeddedKafkaBroker start() {
        return start(Settings.defaults());
    }

    /**
     * Starts a broker and returns when it is ready.
     *
     * @throws KafkaBrokerException if the configured port is in use, an override is invalid, or the
     *     broker is not ready within {@link Settings#startupTimeout()}
     */
    public static EmbeddedKafkaBroker start(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        long started = System.nanoTime();
        boolean fixedPort = settings.port() != 0;
        if (fixedPort && !Ports.canBind(settings.host(), settings.port())) {
            throw new KafkaBrokerException(portInUse(settings));
        }
        for (int attempt = 1; ; attempt++) {
            int port = fixedPort ? settings.port() : Ports.freePort(settings.host());
            int controllerPort = Ports.freePort("127.0.0.1");
            BrokerSecurity security = settings.security();
            int internalPort = security == null ? 0 : Ports.freePort("127.0.0.1");
            Path logDir = TempDirectory.create("conveyor-kafka-");
            Map<String, String> properties = BrokerProperties.of(
                    settings.host(), port, controllerPort, internalPort, logDir, security, settings.overrides());
            try {
                KRaftNode node = startNode(settings, properties, logDir);
                String bootstrapServers = BrokerProperties.advertisedHost(settings.host()) + ":" + port;
                Map<String, Object> clientSecurity = security == null ? Map.of() : security.adminClientConfig();
                awaitReady(node, bootstrapServers, clientSecurity, settings.startupTimeout(), logDir);
                Duration startupTime = Duration.ofNanos(System.nanoTime() - started);
                log.info(
                        "Kafka broker ready at {} in {} ms{}",
                        bootstrapServers,
                        startupTime.toMillis(),
                        security == null ? "" : " (" + security.protocol() + (security.acls() ? ", ACLs)" : ")"));
                return new EmbeddedKafkaBroker(node, logDir, port, bootstrapServers, clientSecurity, startupTime);
            } catch (RuntimeException e) {
                deleteQuietly(logDir);
                if (!KRaftNode.isBindFailure(e)) {
                    throw e;
                }
                if (fixedPort && !Ports.canBind(settings.host(), settings.port())) {
                    throw new KafkaBrokerException(portInUse(settings), e);
                }
                if (attempt == FREE_PORT_ATTEMPTS) {
                    throw new KafkaBrokerException(
                            "Cannot start the embedded Kafka broker: a listener could not bind its port in "
                                    + attempt
                                    + " attempts ("
                                    + e.getMessage()
                                    + "). Check that "
                                    + settings.host()
                                    + " is an address of this machine.",
                            e);
                }
                log.debug("Port taken while starting the broker (attempt {}), retrying", attempt, e);
            }
        }
    }

    private static KRaftNode startNode(Settings settings, Map<String, String> properties, Path logDir) {
        try {
            KRaftNode.validate(properties);
        } catch (ConfigException | IllegalArgumentException e) {
            throw new KafkaBrokerException(invalidConfig(settings, e), e);
        }
        List<String> scram =
                settings.security() instanceof BrokerSecurity.SaslSsl sasl ? sasl.scramArguments() : List.of();
        return KRaftNode.start(properties, logDir, scram);
    }

    private static void awaitReady(
            KRaftNode node, String bootstrapServers, Map<String, Object> security, Duration timeout, Path dir) {
        try {
            node.awaitReady(bootstrapServers, security, timeout);
        } catch (TimeoutException | InterruptedException | RuntimeException e) {
            node.stop();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new KafkaBrokerException(
                    "The embedded Kafka broker at "
                            + bootstrapServers
                            + " was not ready within "
                            + timeout.toMillis()
                            + " ms (log dir "
                            + dir
                            + "). Raise Settings.startupTimeout if this machine is slow.",
                    e);
        }
    }

    /**
     * {@code preferred} if a server socket can bind it on 127.0.0.1 right now, otherwise a free port;
     * for "9092 unless taken".
     */
    public static int preferredPortOrFree(int preferred) {
        if (preferred < 1 || preferred > 65535) {
            throw new IllegalArgumentException("preferred port must be between 1 and 65535, but was " + preferred);
        }
        return Ports.canBind(Settings.DEFAULT_HOST, preferred) ? preferred : Ports.freePort(Settings.DEFAULT_HOST);
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * {@inheritDoc} On a secured broker ({@link Settings#security()}), also the settings of its
     * admin, a super user: tests set topics and ACLs up with it.
     */
    @Override
    public Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>(clientSecurity);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return config;
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** From the call to {@link #start} until the broker was ready. */
    public Duration startupTime() {
        return startupTime;
    }

    /** The temporary directory holding the broker's data; gone after {@link #close()}. */
    public Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        try {
            node.stop();
        } catch (RuntimeException e) {
            log.warn("Error while stopping the Kafka broker at {}", bootstrapServers, e);
        } finally {
            deleteQuietly(logDir);
        }
        log.info(
                "Kafka broker at {} stopped in {} ms",
                bootstrapServers,
                Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers + ", logDir=" + logDir + "]";
    }

    private static String portInUse(Settings settings) {
        return "Cannot start the embedded Kafka broker: port "
                + settings.port()
                + " on "
                + settings.host()
                + " is already in use. Stop the process listening there, configure another port, or use"
                + " port 0 to pick a free one.";
    }

    private static String invalidConfig(Settings settings, RuntimeException e) {
        String message = String.valueOf(e.getMessage());
        return settings.overrides().entrySet().stream()
                .filter(override -> message.contains(override.getKey()))
                .findFirst()
                .map(override -> "Invalid Kafka broker override "
                        + override.getKey()
                        + "="
                        + override.getValue()
                        + ": "
                        + message
                        + ". Fix or remove it in the broker overrides.")
                .orElse("Invalid Kafka broker configuration: "
                        + message
                        + (settings.overrides().isEmpty()
                                ? ""
                                : ". Check the broker overrides " + settings.overrides() + "."));
    }

    private static void deleteQuietly(Path dir) {
        try {
            TempDirectory.deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not delete the Kafka log directory {}", dir, e);
        }
    }

    /**
     * How to start an {@link EmbeddedKafkaBroker}. Immutable; build one with {@link #builder()}.
     *
     * @param host address the client listener binds and advertises (a wildcard address is
     *     advertised as loopback); default {@value #DEFAULT_HOST}
     * @param port client port, 0 for a free one; default 0
     * @param overrides raw broker properties applied last, validated by Kafka. Keys that define the
     *     single node ({@link BrokerProperties#RESERVED_KEYS}) are refused.
     * @param startupTimeout how long {@link #start} waits for the broker to be ready; default 30 s
     * @param security how the client listener authenticates clients and whether ACLs are on; null
     *     (the default) for a plaintext listener without ACLs
     */
    public record Settings(
            String host, int port, Map<String, String> overrides, Duration startupTimeout, BrokerSecurity security) {

        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 0;
        public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(30);

        public Settings {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank, but was '" + host + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(
                        "port must be between 0 and 65535 (0 picks a free port), but was " + port);
            }
            Objects.requireNonNull(overrides, "overrides must not be null");
            overrides.forEach(Settings::checkOverride);
            overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
            if (startupTimeout == null || startupTimeout.isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be > 0, but was " + startupTimeout);
            }
        }

        /** Default settings: a free port on 127.0.0.1, no overrides. */
        public static Settings defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these settings. */
        public Builder toBuilder() {
            return new Builder()
                    .host(host)
                    .port(port)
                    .overrides(overrides)
                    .startupTimeout(startupTimeout)
                    .security(security);
        }

        private static void checkOverride(String key, String value) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("overrides keys must not be blank, but one was '" + key + "'");
            }
            if (value == null) {
                throw new IllegalArgumentException(
                        "overrides[" + key + "] must not be null; remove the key to keep Kafka's default");
            }
            if (BrokerProperties.RESERVED_KEYS.contains(key)) {
                throw new IllegalArgumentException("overrides must not set "
                        + key
                        + "="
                        + value
                        + ": "
                        + (key.equals("listeners")
                                ? "set host and port instead"
                                : key.contains("log.dir")
                                        ? "the broker keeps its data in a temporary directory that close() deletes"
                                        : "the embedded broker is one KRaft node with fixed roles and quorum"));
            }
        }

        /** Mutable builder of {@link Settings}; not thread-safe. */
        public static final class Builder {
            private String host = DEFAULT_HOST;
            private int port = DEFAULT_PORT;
            private final Map<String, String> overrides = new LinkedHashMap<>();
            private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
            private BrokerSecurity security;

            private Builder() {}

            public Builder host(String host) {
                this.host = host;
                return this;
            }

            public Builder port(int port) {
                this.port = port;
                return this;
            }

            /** Adds one raw broker property, replacing an earlier value for the same key. */
            public Builder override(String key, String value) {
                this.overrides.put(key, value);
                return this;
            }

            /** Adds raw broker properties, replacing earlier values for the same keys. */
            public Builder overrides(Map<String, String> overrides) {
                this.overrides.putAll(overrides);
                return this;
            }

            public Builder startupTimeout(Duration startupTimeout) {
                this.startupTimeout = startupTimeout;
                return this;
            }

            /**
             * Secures the client listener (SASL_SSL with SCRAM-SHA-512, or mutual TLS) and turns
             * ACLs on or off; null for a plaintext listener.
             */
            public Builder security(BrokerSecurity security) {
                this.security = security;
                return this;
            }

            /**
             * @throws IllegalArgumentException naming the setting and its bad value
             */
            public Settings build() {
                return new Settings(host, port, overrides, startupTimeout, security);
            }
        }
    }
}
