package io.conveyor.producers.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.StatsSource;
import io.conveyor.core.StatusUnavailableException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/stats}: the latest closed rollup windows per task type and the capacity hint.
 * The source keeps them in memory, so the handler answers on the event loop without blocking.
 */
public final class StatsRoutes {
    private static final Logger log = LoggerFactory.getLogger(StatsRoutes.class);

    private final StatsSource stats;

    public StatsRoutes(StatsSource stats) {
        this.stats = stats;
    }

    public void mount(Router router) {
        router.get("/v1/stats").handler(this::stats);
    }

    private void stats(RoutingContext ctx) {
        JsonNode body;
        try {
            body = stats.stats();
        } catch (StatusUnavailableException e) {
            HttpErrors.unavailable(ctx.response(), "stats_unavailable", e.getMessage(), 1);
            return;
        } catch (RuntimeException e) {
            log.warn("Reading the rollup figures failed", e);
            HttpErrors.send(ctx.response(), 500, "internal", "reading the rollup figures failed: " + e, null);
            return;
        }
        ctx.response().putHeader("content-type", "application/json").end(body.toString());
    }
}
