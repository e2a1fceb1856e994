package io.conveyor.producers.internal;

import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskStatusLookup;
import io.vertx.core.Context;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /internal/v1/tasks/{id}}: lookups between Conveyor processes (rollup instances asking
 * each other, {@code conveyor api} asking the rollups at {@code api.status.url}). Answers {@code
 * 200} with the task's view, {@code 204} when the table has no such task, {@code 503} when it cannot
 * answer now. With {@code ?local=true} only this instance's own partitions are read and nothing is
 * forwarded, so two instances never bounce a lookup between them.
 *
 * <p>Handlers run on the event loop and never block: lookups complete on other threads and answer
 * on the request's context.
 */
public final class InternalRoutes {
    private static final Logger log = LoggerFactory.getLogger(InternalRoutes.class);

    /** The route, as Vert.x writes it. */
    public static final String PATH = "/internal/v1/tasks/:id";

    private final TaskCodec codec;
    private final TaskStatusLookup routed;
    private final TaskStatusLookup local;

    /**
     * @param routed finds a task wherever it lives (may ask another instance)
     * @param local reads this instance's partitions only
     */
    public InternalRoutes(TaskCodec codec, TaskStatusLookup routed, TaskStatusLookup local) {
        this.codec = codec;
        this.routed = routed;
        this.local = local;
    }

    public void mount(Router router) {
        router.get(PATH).handler(this::find);
    }

    private void find(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        boolean localOnly = "true".equals(ctx.request().getParam("local"));
        Context context = ctx.vertx().getOrCreateContext();
        (localOnly ? local : routed)
                .find(id)
                .whenComplete((found, error) -> context.runOnContext(v -> {
                    if (error != null) {
                        Throwable cause = Submissions.unwrap(error);
                        if (cause instanceof StatusUnavailableException) {
                            HttpErrors.unavailable(ctx.response(), "status_unavailable", cause.getMessage(), 1);
                        } else {
                            log.warn("Internal lookup of {} failed", id, cause);
                            HttpErrors.send(
                                    ctx.response(), 500, "lookup_failed", "status lookup failed: " + cause, null);
                        }
                    } else if (found.isEmpty()) {
                        ctx.response().setStatusCode(204).end();
                    } else {
                        ctx.response()
                                .putHeader("content-type", "application/json")
                                .end(codec.toJson(found.get()).toString());
                    }
                }));
    }
}
