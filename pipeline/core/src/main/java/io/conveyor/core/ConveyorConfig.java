package io.conveyor.core;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Conveyor's configuration, immutable once built. Every setting has a named default; values come
 * from defaults &lt; file &lt; {@code CONVEYOR_*} environment &lt; command-line flags (see {@link
 * ConfigLoader}).
 *
 * <p>Keys under {@code kafka.} are raw Kafka client settings and pass through untouched (Kafka
 * validates its own keys): {@code kafka.X} goes to every client, {@code kafka.producer.X}, {@code
 * kafka.consumer.X}, {@code kafka.admin.X} and {@code kafka.streams.X} to one kind only.
 */
public final class ConveyorConfig {

    public static final String KAFKA_PREFIX = "kafka.";

    public static final Setting<String> BOOTSTRAP_SERVERS = Setting.text(
            "kafka.bootstrap.servers",
            "Kafka brokers to connect to (host:port,...); `run` points it at its embedded broker",
            "127.0.0.1:9092");
    public static final Setting<String> HTTP_HOST =
            Setting.text("http.host", "Interface the HTTP server listens on", "0.0.0.0");
    public static final Setting<Integer> HTTP_PORT =
            Setting.port("http.port", "Port of the HTTP server (API, /metrics, /health); 0 picks a free one", 8080);
    public static final Setting<Long> API_MAX_BODY_BYTES = Setting.longAtLeast(
            "api.max.body.bytes", "Largest body of POST /v1/tasks; a larger one gets 413", 1_048_576, 1);
    public static final Setting<Long> API_BATCH_MAX_BODY_BYTES = Setting.longAtLeast(
            "api.batch.max.body.bytes", "Largest body of POST /v1/tasks/batch; a larger one gets 413", 16_777_216, 1);
    public static final Setting<Integer> API_BATCH_MAX =
            Setting.intAtLeast("api.batch.max", "Most tasks in one POST /v1/tasks/batch; more get 413", 1_000, 1);
    public static final Setting<Long> API_IDEMPOTENCY_WINDOW_MS = Setting.longAtLeast(
            "api.idempotency.window.ms",
            "How long a repeated idempotencyKey returns the first task's id instead of creating a task",
            86_400_000,
            1);
    public static final Setting<Integer> API_IDEMPOTENCY_CACHE_SIZE = Setting.intAtLeast(
            "api.idempotency.cache.size",
            "Idempotency keys one API process remembers (the oldest are forgotten first)",
            100_000,
            0);
    public static final Setting<Integer> API_INFLIGHT_LOW = Setting.intAtLeast(
            "api.inflight.low",
            "Tasks in flight (accepted, not yet acknowledged by Kafka) above which answers carry X-Conveyor-Pressure"
                    + " and below which a shedding API accepts again",
            5_000,
            0);
    public static final Setting<Integer> API_INFLIGHT_HIGH = Setting.intAtLeast(
            "api.inflight.high",
            "Tasks in flight at which the API answers 503 with Retry-After until they fall below api.inflight.low",
            10_000,
            1);
    public static final Setting<Integer> API_RATE_LIMIT_PER_SECOND = Setting.intAtLeast(
            "api.rate.limit.per.second",
            "Tasks one client (X-API-Key header, else IP address) may submit per second, else 429; 0 for no limit",
            0,
            0);
    public static final Setting<Long> API_SUBMIT_TIMEOUT_MS = Setting.longAtLeast(
            "api.submit.timeout.ms",
            "How long a submission waits for Kafka to acknowledge its write (the producer's delivery.timeout.ms);"
                    + " then 503 kafka_unavailable with Retry-After",
            15_000,
            1_000);
    public static final Setting<Long> API_SHUTDOWN_TIMEOUT_MS = Setting.longAtLeast(
            "api.shutdown.timeout.ms",
            "How long a stopping API lets in-flight Kafka writes finish before it closes",
            10_000,
            0);
    public static final Setting<Integer> API_MAX_HEADER_BYTES = Setting.intAtLeast(
            "api.max.header.bytes",
            "Largest total size of a request's header lines; a larger head gets 431 and the connection closes",
            8_192,
            1_024);
    public static final Setting<Long> API_BODY_TIMEOUT_MS = Setting.longAtLeast(
            "api.body.timeout.ms",
            "How long a client may take to send a request's body once its headers arrived; then 408 and the"
                    + " connection closes",
            60_000,
            1);
    public static final Setting<Long> API_IDLE_TIMEOUT_MS = Setting.longAtLeast(
            "api.idle.timeout.ms",
            "How long a connection may go without a whole request head (since it opened or since its last answer)"
                    + " before it closes: idle keep-alive connections, and clients that trickle their headers; keep it"
                    + " above the idle timeout of a load balancer in front",
            75_000,
            1);
    public static final Setting<Integer> BROKER_PORT = Setting.port(
            "broker.port", "Port of the embedded broker of `conveyor run`; a free one is used if it is taken", 9092);
    public static final Setting<String> TOPICS_PREFIX =
            Setting.text("topics.prefix", "Prefix of every Conveyor topic name", Topics.DEFAULT_PREFIX);
    public static final Setting<Integer> TOPICS_PARTITIONS = Setting.intAtLeast(
            "topics.partitions",
            "Partitions of each topic Conveyor creates (the most workers a group can use)",
            Topics.DEFAULT_PARTITIONS,
            1);
    public static final Setting<Short> TOPICS_REPLICATION = new Setting<>(
            "topics.replication",
            "Replication factor of the topics Conveyor and the rollups' Kafka Streams create; unset uses the broker"
                    + " default",
            null,
            text -> (short) positive(text, Short.MAX_VALUE));
    public static final Setting<Integer> TOPICS_MIN_INSYNC_REPLICAS = new Setting<>(
            "topics.min.insync.replicas",
            "min.insync.replicas of the topics Conveyor and the rollups' Kafka Streams create (writes with acks=all"
                    + " need this many replicas in sync); unset uses the broker default",
            null,
            text -> positive(text, Short.MAX_VALUE));
    public static final Setting<String> WORKER_ID = Setting.text(
            "worker.id", "Name of this worker in results and metrics; defaults to host and process id", null);
    public static final Setting<String> WORKER_GROUP =
            Setting.text("worker.group", "Consumer group the workers share", "conveyor-workers");
    public static final Setting<Integer> WORKER_CONCURRENCY =
            Setting.intAtLeast("worker.concurrency", "Tasks one worker runs at once (virtual threads)", 64, 1);
    public static final Setting<Map<String, Integer>> WORKER_TYPE_CONCURRENCY = new Setting<>(
            "worker.concurrency.per.type",
            "Limits for some task types within worker.concurrency, e.g. cpu=2,sleep=500",
            "",
            ConveyorConfig::typeLimits);
    public static final Setting<String> WORKER_ORDERING = new Setting<>(
            "worker.ordering",
            "`key`: tasks with the same key run one at a time, in order; `none`: all in parallel",
            "none",
            text -> {
                String v = text.trim();
                if (!v.equals("none") && !v.equals("key")) {
                    throw new IllegalArgumentException("must be none or key");
                }
                return v;
            });
    public static final Setting<String> WORKER_MODE = new Setting<>(
            "worker.mode",
            "`group`: a consumer group, at most one worker per partition; `share`: a share group"
                    + " (KIP-932), any number of workers per partition",
            "group",
            text -> {
                String v = text.trim();
                if (!v.equals("group") && !v.equals("share")) {
                    throw new IllegalArgumentException("must be group or share");
                }
                return v;
            });
    public static final Setting<Integer> WORKER_QUEUE_CAPACITY = Setting.intAtLeast(
            "worker.queue.capacity",
            "Records a worker holds in memory before it pauses its partitions (about 2.5 KiB of heap each)",
            5_000,
            1);
    public static final Setting<Long> WORKER_RETRY_BACKOFF_MS = Setting.longAtLeast(
            "worker.retry.backoff.ms",
            "Delay before the first retry; doubles with each attempt, with jitter",
            1_000,
            0);
    public static final Setting<Long> WORKER_RETRY_BACKOFF_MAX_MS =
            Setting.longAtLeast("worker.retry.backoff.max.ms", "Longest delay between two attempts", 60_000, 0);
    public static final Setting<Long> WORKER_SHUTDOWN_TIMEOUT_MS = Setting.longAtLeast(
            "worker.shutdown.timeout.ms",
            "How long a stopping worker lets running tasks finish before it interrupts them",
            5_000,
            0);
    public static final Setting<Long> WORKER_REVOKE_TIMEOUT_MS = Setting.longAtLeast(
            "worker.revoke.timeout.ms",
            "How long a worker lets running tasks of revoked partitions finish before it commits",
            3_000,
            0);
    public static final Setting<List<Duration>> ROLLUP_WINDOWS = new Setting<>(
            "rollup.windows",
            "Sizes of the tumbling windows the rollups keep per task type (ms, s, m or h), e.g. 10s,1m",
            "10s,1m",
            ConveyorConfig::windowSizes);
    public static final Setting<Long> ROLLUP_GRACE_MS = Setting.longAtLeast(
            "rollup.grace.ms",
            "How long after its end a window still takes late results; then it is emitted once, and later ones go"
                    + " into the first window still open",
            5_000,
            0);
    public static final Setting<Long> ROLLUP_PUNCTUATE_INTERVAL_MS = Setting.longAtLeast(
            "rollup.punctuate.interval.ms",
            "How often the rollups look for windows to close, also when no results arrive (wall clock)",
            1_000,
            10);
    public static final Setting<Long> ROLLUP_IDLE_TIMEOUT_MS = Setting.longAtLeast(
            "rollup.idle.timeout.ms",
            "How long a results partition that read only old results (a backlog), or none since the start, must"
                    + " stay quiet before the wall clock closes windows for it",
            60_000,
            0);
    public static final Setting<String> ROLLUP_APPLICATION_ID = Setting.text(
            "rollup.application.id",
            "Kafka Streams application id of the rollups (also their consumer group)",
            "conveyor-rollups");
    public static final Setting<String> ROLLUP_STATE_DIR = Setting.text(
            "rollup.state.dir",
            "Folder for the rollups' local state stores",
            Path.of(System.getProperty("java.io.tmpdir"), "conveyor-streams").toString());
    public static final Setting<Long> ROLLUP_STATUS_RETENTION_MS = Setting.longAtLeast(
            "rollup.status.retention.ms",
            "How long the status table keeps a task after its latest change; then GET /v1/tasks/{id} answers 404",
            604_800_000,
            1_000);
    public static final Setting<String> ROLLUP_ADVERTISED_URL = new Setting<>(
            "rollup.advertised.url",
            "http(s)://host[:port] at which other rollup instances reach this one's HTTP server (Kafka Streams"
                    + " application.server); without a port, the port the HTTP server listens on",
            null,
            text -> httpUrl(text, false, true));
    public static final Setting<Long> ROLLUP_LOOKUP_TIMEOUT_MS = Setting.longAtLeast(
            "rollup.lookup.timeout.ms",
            "How long a lookup forwarded to the rollup instance that holds the task may take; then 503",
            2_000,
            1);
    public static final Setting<String> API_STATUS_URL = new Setting<>(
            "api.status.url",
            "http://host:port of a rollup instance (or a service in front of them) that `conveyor api` forwards"
                    + " GET /v1/tasks/{id} to",
            null,
            text -> httpUrl(text, true, true));
    public static final Setting<Path> HTTP_TLS_CERT = new Setting<>(
            "http.tls.cert",
            "PEM file of the HTTP server's certificate chain; with http.tls.key the server speaks HTTPS only, and"
                    + " presents it when it calls other Conveyor processes",
            null,
            ConveyorConfig::readableFile);
    public static final Setting<Path> HTTP_TLS_KEY = new Setting<>(
            "http.tls.key",
            "PEM file of the private key of http.tls.cert (PKCS#8, unencrypted: protect the file)",
            null,
            ConveyorConfig::readableFile);
    public static final Setting<Path> HTTP_TLS_CLIENT_CA = new Setting<>(
            "http.tls.client.ca",
            "PEM file of the CAs whose client certificates the HTTPS server accepts; set, it asks clients for one",
            null,
            ConveyorConfig::readableFile);
    public static final Setting<String> HTTP_TLS_CLIENT_AUTH = new Setting<>(
            "http.tls.client.auth",
            "With http.tls.client.ca: `required` refuses clients without such a certificate, `requested` only"
                    + " asks for one",
            "required",
            text -> {
                String v = text.trim();
                if (!v.equals("required") && !v.equals("requested")) {
                    throw new IllegalArgumentException("must be required or requested");
                }
                return v;
            });
    public static final Setting<Path> HTTP_TLS_TRUST = new Setting<>(
            "http.tls.trust",
            "PEM file of the CAs trusted when calling other Conveyor processes over https (rollup peers,"
                    + " api.status.url); unset, the JVM's default trust store",
            null,
            ConveyorConfig::readableFile);

    /** Every Conveyor setting, in the order the README lists them. */
    public static final List<Setting<?>> SETTINGS = List.of(
            BOOTSTRAP_SERVERS,
            HTTP_HOST,
            HTTP_PORT,
            API_MAX_BODY_BYTES,
            API_BATCH_MAX_BODY_BYTES,
            API_BATCH_MAX,
            API_IDEMPOTENCY_WINDOW_MS,
            API_IDEMPOTENCY_CACHE_SIZE,
            API_INFLIGHT_LOW,
            API_INFLIGHT_HIGH,
            API_RATE_LIMIT_PER_SECOND,
            API_SUBMIT_TIMEOUT_MS,
            API_SHUTDOWN_TIMEOUT_MS,
            API_MAX_HEADER_BYTES,
            API_BODY_TIMEOUT_MS,
            API_IDLE_TIMEOUT_MS,
            BROKER_PORT,
            TOPICS_PREFIX,
            TOPICS_PARTITIONS,
            TOPICS_REPLICATION,
            TOPICS_MIN_INSYNC_REPLICAS,
            WORKER_ID,
            WORKER_GROUP,
            WORKER_CONCURRENCY,
            WORKER_TYPE_CONCURRENCY,
            WORKER_ORDERING,
            WORKER_MODE,
            WORKER_QUEUE_CAPACITY,
            WORKER_RETRY_BACKOFF_MS,
            WORKER_RETRY_BACKOFF_MAX_MS,
            WORKER_SHUTDOWN_TIMEOUT_MS,
            WORKER_REVOKE_TIMEOUT_MS,
            ROLLUP_WINDOWS,
            ROLLUP_GRACE_MS,
            ROLLUP_PUNCTUATE_INTERVAL_MS,
            ROLLUP_IDLE_TIMEOUT_MS,
            ROLLUP_APPLICATION_ID,
            ROLLUP_STATE_DIR,
            ROLLUP_STATUS_RETENTION_MS,
            ROLLUP_ADVERTISED_URL,
            ROLLUP_LOOKUP_TIMEOUT_MS,
            API_STATUS_URL,
            HTTP_TLS_CERT,
            HTTP_TLS_KEY,
            HTTP_TLS_CLIENT_CA,
            HTTP_TLS_CLIENT_AUTH,
            HTTP_TLS_TRUST);

    private final Map<String, Object> values;
    private final Map<String, String> kafka;

    private static int positive(String text, int max) {
        try {
            int value = Integer.parseInt(text.trim());
            if (value < 1 || value > max) {
                throw new IllegalArgumentException("must be a whole number from 1 to " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number >= 1");
        }
    }

    /** An http(s) URL of a host with an optional port and no path, without the trailing slash. */
    private static String httpUrl(String text, boolean portRequired, boolean httpsAllowed) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(text.trim());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("must be a URL like http://rollup-1:8080 (" + e.getMessage() + ")");
        }
        boolean http = "http".equals(uri.getScheme()) || (httpsAllowed && "https".equals(uri.getScheme()));
        boolean bare = (uri.getRawPath() == null
                        || uri.getRawPath().isEmpty()
                        || uri.getRawPath().equals("/"))
                && uri.getRawQuery() == null
                && uri.getRawFragment() == null;
        if (!http || uri.getHost() == null || !bare || (portRequired && uri.getPort() < 0)) {
            throw new IllegalArgumentException("must be a URL like http://rollup-1:8080 ("
                    + (httpsAllowed ? "http or https" : "http")
                    + ", host"
                    + (portRequired ? ", port" : " and optional port")
                    + ", no path)");
        }
        String url = uri.toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static Path readableFile(String text) {
        Path file = Path.of(text.trim());
        if (!java.nio.file.Files.isRegularFile(file) || !java.nio.file.Files.isReadable(file)) {
            throw new IllegalArgumentException("must be a readable file");
        }
        return file;
    }

    /** Most window sizes {@link #ROLLUP_WINDOWS} may list. */
    public static final int MAX_ROLLUP_WINDOWS = 4;

    private static List<Duration> windowSizes(String text) {
        java.util.TreeSet<Duration> sizes = new java.util.TreeSet<>();
        for (String part : text.split(",")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)").matcher(part.trim());
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                throw new IllegalArgumentException(
                        "must be a list of window sizes like 10s,1m (a positive number with ms, s, m or h)");
            }
            long n = Long.parseLong(m.group(1));
            sizes.add(
                    switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        default -> Duration.ofHours(n);
                    });
        }
        if (sizes.isEmpty() || sizes.size() > MAX_ROLLUP_WINDOWS) {
            throw new IllegalArgumentException("must list 1 to " + MAX_ROLLUP_WINDOWS + " window sizes like 10s,1m");
        }
        return List.copyOf(sizes);
    }

    private static Map<String, Integer> typeLimits(String text) {
        Map<String, Integer> limits = new TreeMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] kv = part.split("=", 2);
            int limit;
            try {
                limit = kv.length == 2 ? Integer.parseInt(kv[1].trim()) : -1;
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (kv[0].isBlank() || limit < 1) {
                throw new IllegalArgumentException("must be a list like cpu=2,sleep=500 (type=limit, limit >= 1)");
            }
            limits.put(kv[0].trim(), limit);
        }
        return Map.copyOf(limits);
    }

    private final Map<String, Builder.Sourced> given;

    private ConveyorConfig(Map<String, Object> values, Map<String, String> kafka, Map<String, Builder.Sourced> given) {
        this.values = Collections.unmodifiableMap(values);
        this.kafka = Collections.unmodifiableMap(kafka);
        this.given = Map.copyOf(given);
    }

    /** The configuration with every default. */
    public static ConveyorConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The value of a setting; null only for settings without a default that were not set. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        return (T) values.get(setting.key());
    }

    public String bootstrapServers() {
        return get(BOOTSTRAP_SERVERS);
    }

    public Topics topics() {
        return new Topics(
                get(TOPICS_PREFIX),
                get(TOPICS_PARTITIONS),
                Optional.ofNullable(get(TOPICS_REPLICATION)),
                Optional.ofNullable(get(TOPICS_MIN_INSYNC_REPLICAS)));
    }

    /**
     * The principal Kafka knows this process by, as far as the settings tell: {@code User:<name>}
     * of the {@code username} in {@code kafka.sasl.jaas.config}; otherwise (mutual TLS: the
     * certificate's subject) {@link AccessDenied#PRINCIPAL}.
     */
    public String kafkaPrincipal() {
        String jaas = kafka.get(KAFKA_PREFIX + "sasl.jaas.config");
        if (jaas != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("username\\s*=\\s*\"?([^\"\\s;]+)")
                    .matcher(jaas);
            if (m.find()) {
                return "User:" + m.group(1);
            }
        }
        return AccessDenied.PRINCIPAL;
    }

    /** TLS of the HTTP server and of calls to other Conveyor processes ({@code http.tls.*}). */
    public HttpTls httpTls() {
        return new HttpTls(
                Optional.ofNullable(get(HTTP_TLS_CERT)),
                Optional.ofNullable(get(HTTP_TLS_KEY)),
                Optional.ofNullable(get(HTTP_TLS_CLIENT_CA)),
                get(HTTP_TLS_CLIENT_AUTH).equals("required"),
                Optional.ofNullable(get(HTTP_TLS_TRUST)));
    }

    public String workerId() {
        String id = get(WORKER_ID);
        return id != null ? id : ManagementFactory.getRuntimeMXBean().getName();
    }

    /**
     * Settings of the consumer-group protocol (KIP-848) that Kafka Streams refuses or reads with
     * other values: given for every client ({@code kafka.X}), they reach only consumers.
     */
    private static final java.util.Set<String> CONSUMER_GROUP_PROTOCOL_KEYS =
            java.util.Set.of("group.protocol", "group.remote.assignor");

    /**
     * Raw Kafka settings for one kind of client: {@code kafka.X} for every client, overridden by
     * {@code kafka.<kind>.X}. Includes {@code bootstrap.servers}. The settings of the consumer-group
     * protocol ({@code group.protocol}, {@code group.remote.assignor}) given as {@code kafka.X} reach
     * consumers only.
     */
    public Map<String, Object> kafkaProperties(KafkaClientKind kind) {
        Map<String, Object> props = new HashMap<>();
        Map<String, Object> specific = new HashMap<>();
        for (var e : kafka.entrySet()) {
            String key = e.getKey();
            boolean forSomeKind = false;
            for (KafkaClientKind k : KafkaClientKind.values()) {
                if (key.startsWith(k.settingsPrefix())) {
                    forSomeKind = true;
                    if (k == kind) {
                        specific.put(key.substring(k.settingsPrefix().length()), e.getValue());
                    }
                }
            }
            String name = key.substring(KAFKA_PREFIX.length());
            if (!forSomeKind && (kind == KafkaClientKind.CONSUMER || !CONSUMER_GROUP_PROTOCOL_KEYS.contains(name))) {
                props.put(name, e.getValue());
            }
        }
        props.put("bootstrap.servers", bootstrapServers());
        props.putAll(specific);
        return props;
    }

    /**
     * Raw settings for a consumer that takes part in groups as {@code membership} says: {@link
     * #kafkaProperties(KafkaClientKind) kafkaProperties(CONSUMER)} without the settings that do not
     * apply to such a consumer ({@link ConsumerMembership#settingsNotApplied()}).
     */
    public Map<String, Object> consumerProperties(ConsumerMembership membership) {
        Map<String, Object> props = kafkaProperties(KafkaClientKind.CONSUMER);
        props.keySet().removeAll(membership.settingsNotApplied());
        return props;
    }

    /** A builder holding this configuration's values, to derive another. */
    public Builder toBuilder() {
        Builder b = new Builder();
        given.forEach((key, sourced) -> b.set(key, sourced.value(), sourced.source()));
        return b;
    }

    /** Every setting and raw Kafka setting, with secret values ({@link Secrets}) as {@value Secrets#HIDDEN}. */
    @Override
    public String toString() {
        Map<String, Object> shown = new TreeMap<>();
        values.forEach((k, v) -> shown.put(k, Secrets.isSecret(k) ? Secrets.HIDDEN : v));
        Map<String, String> shownKafka = new TreeMap<>();
        kafka.forEach((k, v) -> shownKafka.put(k, Secrets.shown(k, v)));
        return "ConveyorConfig" + shown + " kafka" + shownKafka;
    }

    /**
     * The values of the secret settings ({@link Secrets#isSecret}), and the passwords inside JAAS
     * lines, to take out of messages that others built ({@link #redact}).
     */
    public List<String> secretValues() {
        List<String> secrets = new java.util.ArrayList<>();
        given.forEach((key, sourced) -> {
            if (Secrets.isSecret(key) && sourced.value() != null) {
                secrets.add(sourced.value());
                secrets.add(sourced.value().trim());
                java.util.regex.Matcher m = JAAS_PASSWORD.matcher(sourced.value());
                while (m.find()) {
                    secrets.add(m.group(1) != null ? m.group(1) : m.group(2));
                }
            }
        });
        // longest first, so that a password inside a JAAS line does not break the line's own match
        secrets.sort(java.util.Comparator.comparingInt(String::length).reversed());
        return List.copyOf(secrets);
    }

    private static final java.util.regex.Pattern JAAS_PASSWORD =
            java.util.regex.Pattern.compile("(?i)password\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;]+))");

    /** {@code text} with every secret value of this configuration replaced by {@value Secrets#HIDDEN}. */
    public String redact(String text) {
        return Secrets.redact(text, secretValues());
    }

    /** Collects setting texts, each with where it came from, and checks them in {@link #build()}. */
    public static final class Builder {
        record Sourced(String value, String source) {}

        private final Map<String, Sourced> texts = new LinkedHashMap<>();

        private Builder() {}

        /** Sets a key from code. */
        public Builder set(Setting<?> setting, Object value) {
            return set(setting.key(), String.valueOf(value), "code");
        }

        /**
         * Sets a key. {@code source} says where it came from ("file conveyor.properties",
         * "environment variable CONVEYOR_HTTP_PORT", "flag --http-port") for error messages.
         */
        public Builder set(String key, String value, String source) {
            texts.put(key, new Sourced(value, source));
            return this;
        }

        /**
         * Parses and checks every value.
         *
         * @throws ConfigException naming the key, the bad value and its source
         */
        public ConveyorConfig build() {
            Map<String, Setting<?>> known = new HashMap<>();
            SETTINGS.forEach(s -> known.put(s.key(), s));
            Map<String, String> kafka = new TreeMap<>();
            for (var e : texts.entrySet()) {
                if (e.getKey().startsWith(KAFKA_PREFIX) && !known.containsKey(e.getKey())) {
                    kafka.put(e.getKey(), e.getValue().value());
                } else if (!known.containsKey(e.getKey())) {
                    throw new ConfigException(
                            e.getKey(),
                            "unknown setting '"
                                    + e.getKey()
                                    + "' (from "
                                    + e.getValue().source()
                                    + "); known settings are "
                                    + known.keySet().stream().sorted().toList()
                                    + ", and raw Kafka client settings go under kafka.");
                }
            }
            Map<String, Object> values = new HashMap<>();
            for (Setting<?> s : SETTINGS) {
                Sourced given = texts.get(s.key());
                String text = given != null ? given.value() : s.defaultValue();
                if (text == null) {
                    continue;
                }
                try {
                    values.put(s.key(), s.parser().apply(text));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(
                            s.key(),
                            s.key()
                                    + " "
                                    + e.getMessage()
                                    + ", but was "
                                    + (Secrets.isSecret(s.key()) ? Secrets.HIDDEN : "'" + text + "'")
                                    + " ("
                                    + (given != null ? "from " + given.source() : "default")
                                    + ")");
                }
            }
            long backoff = (Long) values.get(WORKER_RETRY_BACKOFF_MS.key());
            long backoffMax = (Long) values.get(WORKER_RETRY_BACKOFF_MAX_MS.key());
            if (backoffMax < backoff) {
                throw new ConfigException(
                        WORKER_RETRY_BACKOFF_MAX_MS.key(),
                        WORKER_RETRY_BACKOFF_MAX_MS.key()
                                + " "
                                + backoffMax
                                + " must not be below "
                                + WORKER_RETRY_BACKOFF_MS.key()
                                + " "
                                + backoff);
            }
            Short replication = (Short) values.get(TOPICS_REPLICATION.key());
            Integer minInsync = (Integer) values.get(TOPICS_MIN_INSYNC_REPLICAS.key());
            if (replication != null && minInsync != null && minInsync > replication) {
                throw new ConfigException(
                        TOPICS_MIN_INSYNC_REPLICAS.key(),
                        TOPICS_MIN_INSYNC_REPLICAS.key() + " " + minInsync + " must not be above "
                                + TOPICS_REPLICATION.key() + " " + replication
                                + " (no write with acks=all could succeed)");
            }
            int low = (Integer) values.get(API_INFLIGHT_LOW.key());
            int high = (Integer) values.get(API_INFLIGHT_HIGH.key());
            if (low >= high) {
                throw new ConfigException(
                        API_INFLIGHT_LOW.key(),
                        API_INFLIGHT_LOW.key() + " " + low + " must be below " + API_INFLIGHT_HIGH.key() + " " + high);
            }
            checkTls(values);
            return new ConveyorConfig(values, kafka, texts);
        }

        private static void checkTls(Map<String, Object> values) {
            boolean cert = values.containsKey(HTTP_TLS_CERT.key());
            boolean key = values.containsKey(HTTP_TLS_KEY.key());
            if (cert != key) {
                Setting<?> missing = cert ? HTTP_TLS_KEY : HTTP_TLS_CERT;
                Setting<?> set = cert ? HTTP_TLS_CERT : HTTP_TLS_KEY;
                throw new ConfigException(
                        missing.key(),
                        set.key() + " is set but " + missing.key()
                                + " is not; HTTPS needs both the certificate and its private key");
            }
            if (values.containsKey(HTTP_TLS_CLIENT_CA.key()) && !cert) {
                throw new ConfigException(
                        HTTP_TLS_CLIENT_CA.key(),
                        HTTP_TLS_CLIENT_CA.key() + " is set but " + HTTP_TLS_CERT.key()
                                + " is not; client certificates are asked for over HTTPS only");
            }
            Object advertised = values.get(ROLLUP_ADVERTISED_URL.key());
            if (advertised != null && ((String) advertised).startsWith("https:") != cert) {
                throw new ConfigException(
                        ROLLUP_ADVERTISED_URL.key(),
                        ROLLUP_ADVERTISED_URL.key() + " '" + advertised + "' must start with "
                                + (cert ? "https:// when http.tls.cert is set" : "http:// unless http.tls.cert is set")
                                + ": the scheme other instances use is the one this server speaks");
            }
        }
    }
}
