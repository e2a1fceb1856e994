package io.conveyor.producers.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskStatusLookup;
import io.vertx.core.Context;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/tasks/{id}}: lookup ({@code GET}) and cancellation ({@code DELETE}). Handlers run on
 * the event loop and never block: lookups and Kafka writes complete asynchronously and answer on
 * the request's context.
 */
public final class TaskRoutes {
    private static final Logger log = LoggerFactory.getLogger(TaskRoutes.class);
    /** Longest task id accepted in a path. */
    static final int MAX_ID_LENGTH = 256;

    private final TaskCodec codec;
    private final Submissions submissions;
    private final Gate gate;
    private final TaskStatusLookup lookup;

    /**
     * @param submissions null when this server does not write (no {@code DELETE})
     * @param lookup null when this server has no status table (no {@code GET})
     */
    public TaskRoutes(TaskCodec codec, Submissions submissions, Gate gate, TaskStatusLookup lookup) {
        this.codec = codec;
        this.submissions = submissions;
        this.gate = gate;
        this.lookup = lookup;
    }

    public void mount(Router router) {
        if (submissions != null) {
            router.delete("/v1/tasks/:id").handler(gate.early()).handler(this::cancel);
        }
        if (lookup != null) {
            router.get("/v1/tasks/:id").handler(this::find);
        }
    }

    /** The path's task id, or null after answering 400 when it is blank or longer than {@value #MAX_ID_LENGTH}. */
    private static String id(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (id.isBlank() || id.length() > MAX_ID_LENGTH) {
            HttpErrors.send(
                    ctx.response(),
                    400,
                    "invalid_task",
                    "id must be 1 to " + MAX_ID_LENGTH + " characters, but had " + id.length(),
                    "id");
            return null;
        }
        return id;
    }

    private void cancel(RoutingContext ctx) {
        String id = id(ctx);
        if (id == null) {
            return;
        }
        long bytes = id.length() + 64L;
        if (!gate.admit(ctx, 1, bytes)) {
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        submissions
                .cancel(id)
                .whenComplete((outcome, error) -> context.runOnContext(v -> {
                    try {
                        gate.pressureHeader(ctx.response());
                        if (outcome instanceof Submissions.Accepted) {
                            ctx.response()
                                    .setStatusCode(202)
                                    .putHeader("content-type", "application/json")
                                    .end(JsonNodeFactory.instance
                                            .objectNode()
                                            .put("id", id)
                                            .put("status", "CANCEL_REQUESTED")
                                            .toString());
                        } else if (outcome instanceof Submissions.Refused r && r.retryLater()) {
                            HttpErrors.unavailable(ctx.response(), r.code(), r.message(), 1);
                        } else if (outcome instanceof Submissions.Refused r) {
                            HttpErrors.send(ctx.response(), r.status(), r.code(), r.message(), r.field());
                        } else {
                            HttpErrors.send(ctx.response(), 500, "internal", "the cancellation failed: " + error, null);
                        }
                    } finally {
                        gate.release(1, bytes);
                    }
                }));
    }

    private void find(RoutingContext ctx) {
        // bounded like cancellations: no task has a longer id, and a lookup forwarded to the
        // rollups (api.status.url) must fit their request line
        String id = id(ctx);
        if (id == null) {
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        lookup.find(id)
                .whenComplete((found, error) -> context.runOnContext(v -> {
                    if (error != null) {
                        Throwable cause = Submissions.unwrap(error);
                        if (cause instanceof StatusUnavailableException) {
                            HttpErrors.unavailable(ctx.response(), "status_unavailable", cause.getMessage(), 1);
                        } else {
                            log.warn("Status lookup of {} failed", id, cause);
                            HttpErrors.send(
                                    ctx.response(), 500, "lookup_failed", "status lookup failed: " + cause, null);
                        }
                    } else if (found.isEmpty()) {
                        HttpErrors.send(ctx.response(), 404, "not_found", "no task with id '" + id + "'", null);
                    } else {
                        ctx.response()
                                .putHeader("content-type", "application/json")
                                .end(codec.toJson(found.get()).toString());
                    }
                }));
    }
}
