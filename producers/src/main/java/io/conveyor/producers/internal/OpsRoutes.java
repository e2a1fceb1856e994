package io.conveyor.producers.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.HealthCheck;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /health/live}, {@code /health/ready}, {@code /metrics} and {@code /openapi.yaml}, served by
 * every role.
 */
public final class OpsRoutes {
    static final String OPENMETRICS = "application/openmetrics-text";

    /** The OpenAPI description of every route, a resource of this module. */
    public static final String OPENAPI_RESOURCE = "/io/conveyor/producers/openapi.yaml";

    private final PrometheusMeterRegistry registry;
    private final List<HealthCheck> checks;
    private final Buffer openApi;

    public OpsRoutes(PrometheusMeterRegistry registry, List<HealthCheck> checks) {
        this.registry = registry;
        this.checks = List.copyOf(checks);
        this.openApi = Buffer.buffer(openApi());
    }

    /** The OpenAPI document, read once from the class path. */
    public static byte[] openApi() {
        try (InputStream in = OpsRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void mount(Router router) {
        router.get("/health/live")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "application/json")
                        .end("{\"status\":\"UP\"}"));
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(this::metrics);
        router.get("/openapi.yaml")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "application/yaml")
                        .end(openApi));
    }

    private void ready(RoutingContext ctx) {
        Context context = ctx.vertx().getOrCreateContext();
        List<CompletableFuture<HealthCheck.Health>> answers = checks.stream()
                .map(c -> c.check()
                        .toCompletableFuture()
                        // a check that never answers must not hang the probe
                        .completeOnTimeout(
                                new HealthCheck.Health(false, c.name() + " check did not answer within 3 s"),
                                3,
                                java.util.concurrent.TimeUnit.SECONDS)
                        .exceptionally(e -> new HealthCheck.Health(false, c.name() + " check failed: " + e)))
                .toList();
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .whenComplete((v, e) -> context.runOnContext(x -> {
                    ObjectNode body = JsonNodeFactory.instance.objectNode();
                    ObjectNode details = body.putObject("checks");
                    boolean ready = true;
                    for (int i = 0; i < checks.size(); i++) {
                        HealthCheck.Health h = answers.get(i).join();
                        ready &= h.ready();
                        details.putObject(checks.get(i).name())
                                .put("ready", h.ready())
                                .put("detail", h.detail());
                    }
                    body.put("status", ready ? "UP" : "DOWN");
                    ctx.response()
                            .setStatusCode(ready ? 200 : 503)
                            .putHeader("content-type", "application/json")
                            .end(body.toString());
                }));
    }

    private void metrics(RoutingContext ctx) {
        String accept = ctx.request().getHeader("accept");
        boolean openMetrics = accept != null && accept.contains(OPENMETRICS);
        String contentType = openMetrics
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
        ctx.vertx()
                .executeBlocking(() -> registry.scrape(contentType))
                .onSuccess(text ->
                        ctx.response().putHeader("content-type", contentType).end(text))
                .onFailure(ctx::fail);
    }
}
