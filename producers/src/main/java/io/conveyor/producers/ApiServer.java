package io.conveyor.producers;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.HealthCheck;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.producers.internal.HttpErrors;
import io.conveyor.producers.internal.KafkaSubmitter;
import io.conveyor.producers.internal.OpsRoutes;
import io.conveyor.producers.internal.TaskRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of a Conveyor process (Vert.x). Always serves {@code /health/live}, {@code
 * /health/ready} and {@code /metrics}; with {@link Builder#acceptTasks()} also {@code POST
 * /v1/tasks}, and with a lookup {@code GET /v1/tasks/{id}}.
 *
 * <p>Threads: request handlers run on Vert.x event loops and never block; Kafka writes and store
 * lookups answer asynchronously on the request's context.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    private final Vertx vertx;
    private final HttpServer server;
    private final KafkaSubmitter submitter;

    private ApiServer(Vertx vertx, HttpServer server, KafkaSubmitter submitter) {
        this.vertx = vertx;
        this.server = server;
        this.submitter = submitter;
    }

    public static Builder builder(ConveyorConfig config, PrometheusMeterRegistry registry) {
        return new Builder(config, registry);
    }

    /** The port the server listens on. */
    public int port() {
        return server.actualPort();
    }

    @Override
    public void close() {
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
                    .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                    .withMetrics(new MicrometerMetricsFactory(registry))
                    .build();
            KafkaSubmitter submitter = null;
            try {
                TaskCodec codec = new TaskCodec();
                submitter = acceptTasks ? new KafkaSubmitter(config, codec, registry) : null;
                Router router = Router.router(vertx);
                new OpsRoutes(registry, checks).mount(router);
                new TaskRoutes(codec, submitter, lookup, registry).mount(router);
                errors(router);
                int port = config.get(ConveyorConfig.HTTP_PORT);
                String host = config.get(ConveyorConfig.HTTP_HOST);
                HttpServer server = vertx.createHttpServer(
                                new HttpServerOptions().setHost(host).setPort(port))
                        .requestHandler(router)
                        .listen()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                return new ApiServer(vertx, server, submitter);
            } catch (ExecutionException e) {
                close(vertx, submitter);
                throw new IllegalStateException(
                        "could not listen on " + config.get(ConveyorConfig.HTTP_HOST) + ":"
                                + config.get(ConveyorConfig.HTTP_PORT) + " ("
                                + e.getCause().getMessage()
                                + "); free the port or choose another with --http-port or CONVEYOR_HTTP_PORT",
                        e.getCause());
            } catch (InterruptedException | TimeoutException | RuntimeException e) {
                close(vertx, submitter);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw e instanceof RuntimeException r ? r : new IllegalStateException("HTTP server did not start", e);
            }
        }

        private static void close(Vertx vertx, KafkaSubmitter submitter) {
            if (submitter != null) {
                submitter.close();
            }
            vertx.close();
        }

        private static void errors(Router router) {
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
                            ctx.response(), 413, "too_large", "the request body is larger than the limit", null));
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
