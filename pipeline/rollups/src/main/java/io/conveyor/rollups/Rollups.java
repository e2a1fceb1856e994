package io.conveyor.rollups;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.ConfigException;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.StatsSource;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.core.Topics;
import io.conveyor.rollups.internal.KeyRouter;
import io.conveyor.rollups.internal.PeerClient;
import io.conveyor.rollups.internal.SkippedRecords;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollup role: a Kafka Streams application (exactly-once) that keeps the task-status table
 * and the windowed rollups per task type ({@link WindowTopology}, emitted to {@code
 * conveyor.rollups}; the latest ones, read back, in {@link #windows()}).
 * Several instances with one application id share the partitions of {@code conveyor.results};
 * {@link #statusLookup()} finds a task on whichever instance holds it (each instance advertises
 * its HTTP server as {@code application.server}, see {@code rollup.advertised.url}).
 *
 * <p>Life: {@link #create} (lookups answer "starting"), then {@link #start(int)} once the HTTP port
 * is known; or {@link #start(ConveyorConfig, MeterRegistry)} for both when the port is fixed.
 *
 * <p>Threads: Kafka Streams runs its own {@code <application.id>-StreamThread-N} threads; lookups
 * read the local store or call another instance on virtual threads ({@code conveyor-lookup-N}), so
 * callers (the HTTP event loop) never block. {@link #start(int)} and {@link #close()} are called
 * once each, from any thread. A stream thread that Kafka refuses (a missing ACL) reports it to the
 * {@link FatalErrors} given at {@link #create} and shuts the streams down; other failures replace
 * the thread.
 */
public final class Rollups implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Rollups.class);

    private final ConveyorConfig config;
    private final MeterRegistry registry;
    private final FatalErrors fatal;
    private final TaskCodec codec = new TaskCodec();
    private final PeerClient peers;
    private final ExecutorService lookups = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("conveyor-lookup-", 0).factory());
    private volatile Started started;
    /** The windowed figures, read back from conveyor.rollups; created with the rollups. */
    private final RollupStats windows;

    private record Started(KafkaStreams streams, KafkaStreamsMetrics metrics, KeyRouter router, HostInfo self) {}

    private Rollups(ConveyorConfig config, MeterRegistry registry, FatalErrors fatal) {
        this.config = config;
        this.registry = registry;
        this.fatal = fatal;
        this.peers = PeerClient.of(config, codec);
        this.windows = RollupStats.start(config, registry, fatal);
    }

    /** The latest closed windows of every type and the capacity hint, for {@code GET /v1/stats}. */
    public StatsSource stats() {
        return windows;
    }

    /** The same figures, typed (for tests and the benchmark). */
    public RollupStats windows() {
        return windows;
    }

    /** Starts the rollups advertising {@code http.port}; they become queryable once RUNNING. */
    public static Rollups start(ConveyorConfig config, MeterRegistry registry) {
        Rollups rollups = create(config, registry);
        rollups.start(config.get(ConveyorConfig.HTTP_PORT));
        return rollups;
    }

    /** Rollups not started yet: lookups answer unavailable until {@link #start(int)}. */
    public static Rollups create(ConveyorConfig config, MeterRegistry registry) {
        return create(config, registry, new FatalErrors());
    }

    /**
     * As {@link #create(ConveyorConfig, MeterRegistry)}; Kafka refusing the rollups (a missing ACL,
     * failed authentication) shuts the streams down and goes to {@code fatal}, once, instead of
     * replacing stream threads that fail the same way.
     */
    public static Rollups create(ConveyorConfig config, MeterRegistry registry, FatalErrors fatal) {
        return new Rollups(config, registry, fatal);
    }

    /**
     * Starts the streams, advertising this process's HTTP server, which listens on {@code httpPort},
     * to the other instances.
     */
    public synchronized void start(int httpPort) {
        if (started != null) {
            throw new IllegalStateException("the rollups are already started");
        }
        HostInfo self = advertised(config, httpPort);
        KafkaStreams streams = new KafkaStreams(topology(config, codec, registry), properties(config, self));
        String transactionalIds = config.get(ConveyorConfig.ROLLUP_APPLICATION_ID) + "-";
        streams.setUncaughtExceptionHandler(e -> {
            var refusal = AccessDenied.find(
                            e, "READ,WRITE", AccessDenied.Names.group(config.get(ConveyorConfig.ROLLUP_APPLICATION_ID)))
                    .map(r -> r.cause() instanceof TransactionalIdAuthorizationException
                            ? AccessDenied.find(
                                            r.cause(), "WRITE", AccessDenied.Names.transactionalId(transactionalIds))
                                    .orElseThrow()
                            : r);
            if (refusal.isPresent()) {
                fatal.report("rollups", refusal.get().message(), e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("Rollup stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR) {
                fatal.report("rollups", "Kafka Streams stopped (state ERROR); see the error logged before", null);
            }
        });
        KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
        metrics.bindTo(registry);
        streams.start();
        started = new Started(
                streams,
                metrics,
                new KeyRouter(
                        streams,
                        StatusTopology.STATUS_STORE,
                        self,
                        peers,
                        config.httpTls().scheme()),
                self);
        log.info(
                "Rollups started (application id {}, reachable for lookups at {}:{})",
                config.get(ConveyorConfig.ROLLUP_APPLICATION_ID),
                self.host(),
                self.port());
    }

    /** Everything the rollups compute, in one topology (a topology reads conveyor.results once). */
    static Topology topology(ConveyorConfig config, TaskCodec codec, MeterRegistry registry) {
        StreamsBuilder builder = new StreamsBuilder();
        SkippedRecords skipped = new SkippedRecords(registry);
        ArrivalTopology.addTo(builder, config.topics(), codec, skipped);
        var results = StatusTopology.results(builder, config.topics(), codec, skipped);
        var counted = StatusTopology.addTo(
                builder,
                results,
                codec,
                Duration.ofMillis(config.get(ConveyorConfig.ROLLUP_STATUS_RETENTION_MS)),
                skipped);
        WindowTopology.addTo(builder, counted, config.topics(), WindowTopology.Settings.from(config, registry));
        return builder.build();
    }

    /** The host and port other instances reach this one's HTTP server at. */
    static HostInfo advertised(ConveyorConfig config, int httpPort) {
        String url = config.get(ConveyorConfig.ROLLUP_ADVERTISED_URL);
        if (url == null) {
            return new HostInfo(localHostName(), httpPort);
        }
        URI uri = URI.create(url);
        return new HostInfo(uri.getHost(), uri.getPort() >= 0 ? uri.getPort() : httpPort);
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(
                    "could not find this machine's host name (" + e.getMessage()
                            + "); set rollup.advertised.url to the URL other rollup instances reach this one at",
                    e);
        }
    }

    /**
     * The Kafka Streams properties the rollups run with, advertising {@code self} (public for the
     * benchmark, which runs parts of the topology with them).
     */
    public static Properties properties(ConveyorConfig config, HostInfo self) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.get(ConveyorConfig.ROLLUP_APPLICATION_ID));
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.get(ConveyorConfig.ROLLUP_STATE_DIR));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Kafka Streams' exactly-once default. Longer intervals cost fewer transactions, but a
        // closed window reaches conveyor.rollups (read-committed: /v1/stats, the gauges) only at
        // the next commit. (The empty window that follows a type's last one waits for that
        // window's commit and a second more, whatever the interval: WindowProcessor.)
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // Bigger producer batches: a commit sends every view that changed to its changelog at once,
        // and Kafka's default batch of 16 KiB held about 130 of them, each batch appended and
        // indexed by the broker on its own. 512 KiB: 1.07 × the records/s of the default in the
        // benchmark (bench/rollups, row t, every round ahead), a third less broker CPU per record.
        // Batches still leave at every commit (flush), so nothing waits longer; the producer's
        // memory stays within its buffer.memory (32 MiB by default).
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), PRODUCER_BATCH_BYTES);
        // (statestore.cache.max.bytes stays at its default: no store has a cache, since the status
        // table and the windows keep their changes in memory between commits, CommitHook)
        // A stream thread per core: each waits about a fifth of its time in its commits (for the
        // changelog writes' acknowledgements and the transaction: JFR park events in the
        // benchmark), which another thread fills; Kafka Streams' default is one. At most one per
        // results partition: a thread more would have no task, yet a consumer and a producer.
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, defaultStreamThreads(config));
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // An instance that dies without leaving keeps its tasks (status lookups, arrivals, windows of
        // its partitions) until its session times out; Kafka's 45 s is that long a stall. The group
        // runs the classic protocol, where the member sets it (heartbeats every 3 s by default).
        props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
        // Kafka Streams creates its changelogs and repartition topics itself, with the broker's
        // default replication unless told: they get what every other Conveyor topic gets
        config.topics().replicationFactor().ifPresent(n -> props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) n));
        config.topics()
                .minInsyncReplicas()
                .ifPresent(n -> props.put(StreamsConfig.topicPrefix(Topics.MIN_INSYNC_REPLICAS), n));
        props.putAll(config.kafkaProperties(KafkaClientKind.STREAMS));
        String guarantee = String.valueOf(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
                .trim();
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee)) {
            String key = "kafka.streams." + StreamsConfig.PROCESSING_GUARANTEE_CONFIG;
            throw new ConfigException(
                    key,
                    "the rollups run exactly-once (" + StreamsConfig.EXACTLY_ONCE_V2 + "), but " + key + " (or kafka."
                            + StreamsConfig.PROCESSING_GUARANTEE_CONFIG + ") was set to '" + guarantee
                            + "'; under any other guarantee a restart counts results twice or loses them. Remove"
                            + " the setting");
        }
        return props;
    }

    /** The session timeout of the rollups' group members unless configured otherwise. */
    static final int SESSION_TIMEOUT_MS = 10_000;

    /** The rollups' producer batch size unless configured otherwise ({@code kafka.streams.producer.batch.size}). */
    static final int PRODUCER_BATCH_BYTES = 512 * 1024;

    /** One stream thread per core, but no more than the results topic has partitions. */
    static int defaultStreamThreads(ConveyorConfig config) {
        return Math.max(
                1,
                Math.min(
                        Runtime.getRuntime().availableProcessors(),
                        config.topics().partitions()));
    }

    /** Whether the streams are running (and so the status table answers). */
    public boolean isRunning() {
        return state() == KafkaStreams.State.RUNNING;
    }

    /** The streams' state; CREATED until {@link #start(int)}. */
    public KafkaStreams.State state() {
        Started s = started;
        return s == null ? KafkaStreams.State.CREATED : s.streams().state();
    }

    /** The streams, once started (for tests and diagnostics); empty before. */
    public Optional<KafkaStreams> streams() {
        Started s = started;
        return s == null ? Optional.empty() : Optional.of(s.streams());
    }

    /** Lookups of any task: from this instance's table or the instance that holds the task. */
    public TaskStatusLookup statusLookup() {
        return id -> find(id, KeyRouter::find);
    }

    /**
     * Lookups in this instance's own partitions only (active or standby), never forwarded: what
     * other instances ask over {@code GET /internal/v1/tasks/{id}?local=true}.
     */
    public TaskStatusLookup localLookup() {
        return id -> find(id, KeyRouter::findLocal);
    }

    private CompletionStage<Optional<TaskResult>> find(
            String taskId, BiFunction<KeyRouter, String, Optional<TaskResult>> how) {
        return CompletableFuture.supplyAsync(
                () -> {
                    Started s = started;
                    if (s == null) {
                        throw new StatusUnavailableException(
                                "the task-status table is not available yet (rollups are starting); retry shortly");
                    }
                    // the table keeps outputs as bytes; whoever looks a task up gets a tree
                    return how.apply(s.router(), taskId).map(TaskCodec::withParsedOutput);
                },
                lookups);
    }

    @Override
    public void close() {
        Started s = started;
        if (s != null) {
            s.streams().close(Duration.ofSeconds(5));
            s.metrics().close();
        }
        lookups.shutdown();
        peers.close();
        windows.close();
        log.info("Rollups stopped");
    }
}
