package io.conveyor.producers;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.HealthCheck;
import io.conveyor.core.HttpTls;
import io.conveyor.core.Meters;
import io.conveyor.core.StatsSource;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.producers.internal.Admission;
import io.conveyor.producers.internal.Gate;
import io.conveyor.producers.internal.HttpErrors;
import io.conveyor.producers.internal.Idempotency;
import io.conveyor.producers.internal.InternalRoutes;
import io.conveyor.producers.internal.KafkaSubmitter;
import io.conveyor.producers.internal.OpsRoutes;
import io.conveyor.producers.internal.RateLimiter;
import io.conveyor.producers.internal.RecentlyAccepted;
import io.conveyor.producers.internal.RequestLimits;
import io.conveyor.producers.internal.StatsRoutes;
import io.conveyor.producers.internal.Submissions;
import io.conveyor.producers.internal.SubmitRoutes;
import io.conveyor.producers.internal.TaskRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of a Conveyor process (Vert.x). Always serves {@code /health/live}, {@code
 * /health/ready}, {@code /metrics} and {@code /openapi.yaml}; with {@link Builder#acceptTasks()}
 * also {@code POST /v1/tasks}, {@code POST /v1/tasks/batch} and {@code DELETE /v1/tasks/{id}}, and
 * with a lookup {@code GET /v1/tasks/{id}}, and with {@link Builder#stats} {@code GET /v1/stats}.
 *
 * <p>Threads: request handlers run on Vert.x event loops and never block; Kafka writes go through
 * the submitter's own sender thread, and writes and lookups answer asynchronously on the request's
 * context. {@link #close()} is called from any one thread.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    private final Vertx vertx;
    private final HttpServer server;
    private final Router router;
    private final KafkaSubmitter submitter;
    private final Admission admission;
    private final Duration shutdownTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ApiServer(
            Vertx vertx,
            HttpServer server,
            Router router,
            KafkaSubmitter submitter,
            Admission admission,
            Duration shutdownTimeout) {
        this.vertx = vertx;
        this.server = server;
        this.router = router;
        this.submitter = submitter;
        this.admission = admission;
        this.shutdownTimeout = shutdownTimeout;
    }

    public static Builder builder(ConveyorConfig config, PrometheusMeterRegistry registry) {
        return new Builder(config, registry);
    }

    /** The port the server listens on. */
    public int port() {
        return server.actualPort();
    }

    /** Tasks accepted for writing and not answered yet. */
    public long inflight() {
        return admission.inflight();
    }

    /** Whether {@link #close()} has begun: every new request gets 503. */
    public boolean isClosing() {
        return admission.closing();
    }

    /** Every route, as {@code METHOD path} (for the OpenAPI test). */
    List<String> routes() {
        List<String> routes = new ArrayList<>();
        for (Route route : router.getRoutes()) {
            if (route.getPath() == null || route.methods() == null) {
                continue;
            }
            route.methods().forEach(m -> routes.add(m.name() + " " + route.getPath()));
        }
        return routes;
    }

    /**
     * Stops gracefully: from now on every request gets 503 ({@code shutting_down}); tasks already
     * accepted are written and answered (waiting at most {@code api.shutdown.timeout.ms}); then the
     * HTTP server closes, the producer sends what it buffered and waits for the acknowledgements
     * (a flush), and closes. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            admission.close().get(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn(
                    "{} tasks were still in flight after {} ms (api.shutdown.timeout.ms); closing anyway",
                    admission.inflight(),
                    shutdownTimeout.toMillis());
        }
        try {
            server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("HTTP server did not close cleanly: {}", e.toString());
        }
        if (submitter != null) {
            submitter.close();
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Vert.x did not close cleanly: {}", e.toString());
        }
    }

    /** Chooses what the server carries; {@link #start()} binds it. */
    public static final class Builder {
        private final ConveyorConfig config;
        private final PrometheusMeterRegistry registry;
        private final List<HealthCheck> checks = new ArrayList<>();
        private boolean acceptTasks;
        private TaskStatusLookup lookup;
        private StatsSource stats;
        private TaskStatusLookup internalRouted;
        private TaskStatusLookup internalLocal;
        private VertxOptions vertxOptions = new VertxOptions();
        private Clock clock = Clock.systemUTC();
        private FatalErrors fatal = new FatalErrors();

        private Builder(ConveyorConfig config, PrometheusMeterRegistry registry) {
            this.config = config;
            this.registry = registry;
        }

        /** Serve {@code POST /v1/tasks}, writing to Kafka. */
        public Builder acceptTasks() {
            this.acceptTasks = true;
            return this;
        }

        /** Serve {@code GET /v1/tasks/{id}} from this lookup. */
        public Builder lookup(TaskStatusLookup lookup) {
            this.lookup = lookup;
            return this;
        }

        /**
         * Serve {@code GET /internal/v1/tasks/{id}} for other Conveyor processes: {@code routed}
         * finds a task wherever it lives, {@code local} (asked with {@code ?local=true}) reads only
         * this process's own partitions and never forwards.
         */
        public Builder internalLookups(TaskStatusLookup routed, TaskStatusLookup local) {
            this.internalRouted = routed;
            this.internalLocal = local;
            return this;
        }

        /** Serve {@code GET /v1/stats} (latest rollup windows and the capacity hint) from this source. */
        public Builder stats(StatsSource stats) {
            this.stats = stats;
            return this;
        }

        /** Vert.x settings (event loops, blocked-thread checker); metrics are always turned on. */
        public Builder vertxOptions(VertxOptions options) {
            this.vertxOptions = new VertxOptions(options);
            return this;
        }

        /** The clock of submission times and idempotency windows. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Where Kafka refusing the API's writes (a missing ACL) is reported, once; by default it is
         * only logged.
         */
        public Builder fatalErrors(FatalErrors fatal) {
            this.fatal = fatal;
            return this;
        }

        /** Something {@code /health/ready} waits for. */
        public Builder healthCheck(HealthCheck check) {
            checks.add(check);
            return this;
        }

        /**
         * Connects to Kafka (when accepting tasks) and binds the port.
         *
         * @throws IllegalStateException if the port cannot be bound, naming it and the fix
         */
        public ApiServer start() {
            Vertx vertx = Vertx.builder()
                    .with(new VertxOptions(vertxOptions)
                            .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                    .withMetrics(new MicrometerMetricsFactory(registry))
                    .build();
            KafkaSubmitter submitter = null;
            try {
                TaskCodec codec = new TaskCodec(clock);
                int high = config.get(ConveyorConfig.API_INFLIGHT_HIGH);
                int batchMax = config.get(ConveyorConfig.API_BATCH_MAX);
                submitter =
                        acceptTasks ? new KafkaSubmitter(config, codec, registry, 2 * (high + batchMax) + 1_024) : null;
                Admission admission = new Admission(
                        config.get(ConveyorConfig.API_INFLIGHT_LOW),
                        high,
                        submitter == null ? Long.MAX_VALUE : submitter.bufferMemory() / 2);
                Router router = Router.router(vertx);
                // A client that went away (or was answered and cut off, a slow one) fails its request
                // with nothing left to answer: not an error of the server's, and not worth a log line each.
                router.route().failureHandler(ctx -> {
                    if (!(ctx.failure() instanceof HttpClosedException)
                            && !ctx.response().ended()) {
                        ctx.next();
                    }
                });
                router.route().handler(ctx -> {
                    if (admission.closing()) {
                        HttpErrors.shuttingDown(ctx.response());
                    } else {
                        ctx.next();
                    }
                });
                new OpsRoutes(registry, checks).mount(router);
                Submissions submissions = null;
                Gate gate = null;
                RecentlyAccepted recent = lookup == null
                        ? null
                        : new RecentlyAccepted(lookup, 100_000, java.time.Duration.ofMinutes(1), clock);
                TaskStatusLookup statuses = recent;
                if (submitter != null) {
                    gauges(admission);
                    gate = new Gate(admission, rateLimiter(vertx), registry, high);
                    Idempotency idempotency = new Idempotency(
                            config.get(ConveyorConfig.TOPICS_PREFIX),
                            config.get(ConveyorConfig.API_IDEMPOTENCY_WINDOW_MS),
                            config.get(ConveyorConfig.API_IDEMPOTENCY_CACHE_SIZE),
                            clock,
                            statuses);
                    submissions = new Submissions(
                            codec,
                            submitter,
                            idempotency,
                            registry,
                            recent == null ? t -> {} : recent::accepted,
                            fatal);
                    new SubmitRoutes(
                                    codec,
                                    submissions,
                                    gate,
                                    registry,
                                    config.get(ConveyorConfig.API_MAX_BODY_BYTES),
                                    config.get(ConveyorConfig.API_BATCH_MAX_BODY_BYTES),
                                    batchMax)
                            .mount(router);
                }
                new TaskRoutes(codec, submissions, gate, statuses).mount(router);
                if (stats != null) {
                    new StatsRoutes(stats).mount(router);
                }
                if (internalRouted != null) {
                    new InternalRoutes(codec, internalRouted, internalLocal).mount(router);
                }
                errors(router, config);
                int port = config.get(ConveyorConfig.HTTP_PORT);
                String host = config.get(ConveyorConfig.HTTP_HOST);
                RequestLimits limits = new RequestLimits(vertx, config, registry);
                HttpServer server = limits.guard(
                                vertx.createHttpServer(limits.options(serverOptions(host, port, config.httpTls()))),
                                router)
                        .listen()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                return new ApiServer(
                        vertx,
                        server,
                        router,
                        submitter,
                        admission,
                        Duration.ofMillis(config.get(ConveyorConfig.API_SHUTDOWN_TIMEOUT_MS)));
            } catch (ExecutionException e) {
                close(vertx, submitter);
                boolean bind = e.getCause() instanceof java.net.BindException;
                throw new IllegalStateException(
                        "could not listen on " + config.get(ConveyorConfig.HTTP_HOST) + ":"
                                + config.get(ConveyorConfig.HTTP_PORT) + " ("
                                + e.getCause().getMessage()
                                + (bind || !config.httpTls().enabled()
                                        ? "); free the port or choose another with --http-port or CONVEYOR_HTTP_PORT"
                                        : "); check the PEM files of http.tls.cert, http.tls.key and"
                                                + " http.tls.client.ca"),
                        e.getCause());
            } catch (InterruptedException | TimeoutException | RuntimeException e) {
                close(vertx, submitter);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw e instanceof RuntimeException r ? r : new IllegalStateException("HTTP server did not start", e);
            }
        }

        /**
         * Plain HTTP, or HTTPS with the PEM certificate and key of {@code http.tls.*}, asking for
         * (or requiring) client certificates from {@code http.tls.client.ca}.
         */
        static HttpServerOptions serverOptions(String host, int port, HttpTls tls) {
            HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(port);
            if (!tls.enabled()) {
                return options;
            }
            options.setSsl(true)
                    .setKeyCertOptions(new PemKeyCertOptions()
                            .setCertPath(tls.certificate().orElseThrow().toString())
                            .setKeyPath(tls.key().orElseThrow().toString()));
            tls.clientCa()
                    .ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
                            .setClientAuth(tls.clientAuthRequired() ? ClientAuth.REQUIRED : ClientAuth.REQUEST));
            return options;
        }

        private void gauges(Admission admission) {
            Meters.gauge(registry, Meters.API_INFLIGHT, admission, Admission::inflight);
            Meters.gauge(registry, Meters.API_BUFFERED, admission, Admission::inflightBytes);
            Meters.gauge(registry, Meters.API_PRESSURE, admission, Admission::pressure);
            Meters.gauge(registry, Meters.API_SHEDDING, admission, a -> a.shedding() ? 1 : 0);
        }

        private RateLimiter rateLimiter(Vertx vertx) {
            int perSecond = config.get(ConveyorConfig.API_RATE_LIMIT_PER_SECOND);
            if (perSecond == 0) {
                return null;
            }
            RateLimiter limiter = new RateLimiter(perSecond, clock);
            vertx.setPeriodic(1_000, id -> limiter.sweep());
            return limiter;
        }

        private static void close(Vertx vertx, KafkaSubmitter submitter) {
            if (submitter != null) {
                submitter.close();
            }
            vertx.close();
        }

        private static void errors(Router router, ConveyorConfig config) {
            // Vert.x answers a request it cannot route (such as a bad %-escape in the path) with 400
            router.errorHandler(
                    400,
                    ctx -> HttpErrors.send(
                            ctx.response(),
                            400,
                            "bad_request",
                            "the request could not be read"
                                    + (ctx.failure() == null
                                            ? ""
                                            : ": " + ctx.failure().getMessage()),
                            null));
            router.errorHandler(
                    404,
                    ctx -> HttpErrors.send(
                            ctx.response(),
                            404,
                            "not_found",
                            "no route for " + ctx.request().method() + " "
                                    + ctx.request().path(),
                            null));
            router.errorHandler(
                    405,
                    ctx -> HttpErrors.send(
                            ctx.response(),
                            405,
                            "method_not_allowed",
                            ctx.request().method() + " is not allowed on "
                                    + ctx.request().path(),
                            null));
            router.errorHandler(
                    413,
                    ctx -> HttpErrors.send(
                            ctx.response(),
                            413,
                            "too_large",
                            ctx.request().path().endsWith("/batch")
                                    ? "the request body is larger than api.batch.max.body.bytes ("
                                            + config.get(ConveyorConfig.API_BATCH_MAX_BODY_BYTES) + " bytes)"
                                    : "the request body is larger than api.max.body.bytes ("
                                            + config.get(ConveyorConfig.API_MAX_BODY_BYTES) + " bytes)",
                            null));
            router.errorHandler(500, ctx -> {
                log.warn(
                        "Unhandled error on {} {}",
                        ctx.request().method(),
                        ctx.request().path(),
                        ctx.failure());
                HttpErrors.send(ctx.response(), 500, "internal", "internal error; see the server log", null);
            });
        }
    }
}
