package io.conveyor.producers.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Meters;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskStatusLookup;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/tasks}: submission and lookup. Handlers run on the event loop and never block: Kafka
 * writes and store lookups complete asynchronously and answer on the request's context.
 */
public final class TaskRoutes {
    private static final Logger log = LoggerFactory.getLogger(TaskRoutes.class);
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    private final TaskCodec codec;
    private final KafkaSubmitter submitter;
    private final TaskStatusLookup lookup;
    private final MeterRegistry registry;

    public TaskRoutes(TaskCodec codec, KafkaSubmitter submitter, TaskStatusLookup lookup, MeterRegistry registry) {
        this.codec = codec;
        this.submitter = submitter;
        this.lookup = lookup;
        this.registry = registry;
    }

    public void mount(Router router) {
        if (submitter != null) {
            router.post("/v1/tasks")
                    .handler(BodyHandler.create(false).setBodyLimit(DEFAULT_MAX_BODY_BYTES))
                    .handler(this::submit);
        }
        if (lookup != null) {
            router.get("/v1/tasks/:id").handler(this::find);
        }
    }

    private void submit(RoutingContext ctx) {
        String contentType = ctx.request().getHeader("content-type");
        if (contentType == null
                || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            reject(
                    ctx,
                    415,
                    "unsupported_media_type",
                    "send the task as JSON with content-type: application/json",
                    null);
            return;
        }
        Buffer body = ctx.body().buffer();
        Task task;
        try {
            JsonNode node = TaskCodec.parse(body == null ? new byte[0] : body.getBytes());
            task = codec.readSubmission(node);
        } catch (MalformedTaskException e) {
            reject(ctx, 400, "invalid_task", e.getMessage(), e.field());
            return;
        } catch (IllegalArgumentException e) {
            reject(ctx, 400, "invalid_task", e.getMessage(), null);
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        submitter
                .submit(task)
                .whenComplete((sent, error) -> context.runOnContext(v -> {
                    if (error == null) {
                        Meters.counter(
                                        registry,
                                        Meters.TASKS_SUBMITTED,
                                        sent.type(),
                                        sent.priority().wireName())
                                .increment();
                        ctx.response()
                                .setStatusCode(202)
                                .putHeader("content-type", "application/json")
                                .putHeader("Location", "/v1/tasks/" + sent.id())
                                .end(JsonNodeFactory.instance
                                        .objectNode()
                                        .put("id", sent.id())
                                        .put("status", "QUEUED")
                                        .toString());
                    } else {
                        kafkaFailed(ctx, unwrap(error));
                    }
                }));
    }

    private void kafkaFailed(RoutingContext ctx, Throwable error) {
        Meters.counter(registry, Meters.TASKS_REJECTED, "kafka_error").increment();
        if (error instanceof RecordTooLargeException) {
            HttpErrors.send(
                    ctx.response(),
                    413,
                    "too_large",
                    "Kafka refused the task as too large: " + error.getMessage(),
                    null);
        } else if (error instanceof RetriableException
                || error instanceof org.apache.kafka.common.errors.TimeoutException) {
            HttpErrors.unavailable(
                    ctx.response(),
                    "kafka_unavailable",
                    "Kafka did not acknowledge the task, so it was not accepted: " + error.getMessage(),
                    1);
        } else {
            log.warn("Kafka refused a task write", error);
            HttpErrors.send(
                    ctx.response(),
                    500,
                    "kafka_error",
                    "Kafka refused the write, so the task was not accepted: " + error,
                    null);
        }
    }

    private void find(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        Context context = ctx.vertx().getOrCreateContext();
        lookup.find(id)
                .whenComplete((found, error) -> context.runOnContext(v -> {
                    if (error != null) {
                        Throwable cause = unwrap(error);
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

    private void reject(RoutingContext ctx, int status, String code, String message, String field) {
        Meters.counter(registry, Meters.TASKS_REJECTED, "invalid").increment();
        HttpErrors.send(ctx.response(), status, code, message, field);
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}
