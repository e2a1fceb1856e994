package io.conveyor.producers.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.conveyor.core.Json;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Meters;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskCodec.Submission;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /v1/tasks} and {@code POST /v1/tasks/batch}. Handlers run on the event loop and never
 * block: the body is checked (content type before it is read, size while it is read, UTF-8 and JSON
 * after), the tasks are admitted by the {@link Gate}, and the answer goes out on the request's
 * context once Kafka acknowledged every task (or refused it).
 */
public final class SubmitRoutes {
    /** Bytes added to a body's size to estimate its records (envelope fields, record headers). */
    private static final int RECORD_OVERHEAD = 256;

    private final TaskCodec codec;
    private final Submissions submissions;
    private final Gate gate;
    private final MeterRegistry registry;
    private final DistributionSummary batchSizes;
    private final long maxBody;
    private final long maxBatchBody;
    private final int maxBatch;

    public SubmitRoutes(
            TaskCodec codec,
            Submissions submissions,
            Gate gate,
            MeterRegistry registry,
            long maxBody,
            long maxBatchBody,
            int maxBatch) {
        this.codec = codec;
        this.submissions = submissions;
        this.gate = gate;
        this.registry = registry;
        this.batchSizes = Meters.summary(registry, Meters.API_BATCH_SIZE);
        this.maxBody = maxBody;
        this.maxBatchBody = maxBatchBody;
        this.maxBatch = maxBatch;
    }

    public void mount(Router router) {
        // refusals that need no body come before the body is read (platform handlers run first)
        router.post("/v1/tasks")
                .handler(gate.early())
                .handler((PlatformHandler) ctx -> requireContentType(ctx, false))
                .handler(BodyHandler.create(false).setBodyLimit(maxBody))
                .handler(this::submit);
        router.post("/v1/tasks/batch")
                .handler(gate.early())
                .handler((PlatformHandler) ctx -> requireContentType(ctx, true))
                .handler(BodyHandler.create(false).setBodyLimit(maxBatchBody))
                .handler(this::submitBatch);
    }

    private void requireContentType(RoutingContext ctx, boolean batch) {
        String type = mediaType(ctx);
        if (type.equals("application/json") || (batch && isNdjson(type))) {
            ctx.next();
            return;
        }
        invalid(
                ctx,
                415,
                "unsupported_media_type",
                batch
                        ? "send the tasks as a JSON array with content-type: application/json, or one per line with"
                                + " content-type: application/x-ndjson"
                        : "send the task as JSON with content-type: application/json",
                null);
    }

    private void submit(RoutingContext ctx) {
        byte[] body = body(ctx);
        Task task;
        try {
            Json.requireUtf8(body);
            task = codec.readSubmission(body, 0, body.length);
        } catch (MalformedTaskException e) {
            invalid(ctx, 400, "invalid_task", e.getMessage(), e.field());
            return;
        } catch (IllegalArgumentException e) {
            invalid(ctx, 400, "invalid_task", e.getMessage(), null);
            return;
        }
        long bytes = body.length + RECORD_OVERHEAD;
        if (!gate.admit(ctx, 1, bytes)) {
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        submissions
                .submit(List.of(task))
                .whenComplete((outcomes, error) -> context.runOnContext(v -> {
                    try {
                        HttpServerResponse response = ctx.response();
                        gate.pressureHeader(response);
                        Submissions.Outcome outcome = error == null
                                ? outcomes.getFirst()
                                : new Submissions.Refused(500, "internal", "the submission failed: " + error, null);
                        if (outcome instanceof Submissions.Accepted accepted) {
                            response.setStatusCode(202)
                                    .putHeader("content-type", "application/json")
                                    .putHeader("Location", "/v1/tasks/" + accepted.id())
                                    .end(json(g -> acceptedFields(g, accepted)));
                        } else {
                            refused(response, (Submissions.Refused) outcome);
                        }
                    } finally {
                        gate.release(1, bytes);
                    }
                }));
    }

    private void submitBatch(RoutingContext ctx) {
        byte[] body = body(ctx);
        List<Submission> items;
        try {
            Json.requireUtf8(body);
            items = BatchBody.read(body, isNdjson(mediaType(ctx)), codec, maxBatch);
        } catch (MalformedTaskException e) {
            invalid(ctx, 400, "invalid_task", e.getMessage(), e.field());
            return;
        } catch (BatchBody.TooManyItems e) {
            invalid(ctx, 413, "too_large", e.getMessage(), null);
            return;
        }
        batchSizes.record(items.size());
        List<Task> tasks = new ArrayList<>(items.size());
        for (Submission item : items) {
            if (item.task() != null) {
                tasks.add(item.task());
            } else {
                Meters.counter(registry, Meters.TASKS_REJECTED, "invalid").increment();
            }
        }
        int count = tasks.size();
        long bytes = body.length + (long) RECORD_OVERHEAD * count;
        if (count > 0 && !gate.admit(ctx, count, bytes)) {
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        submissions
                .submit(tasks)
                .whenComplete((outcomes, error) -> context.runOnContext(v -> {
                    try {
                        answerBatch(ctx.response(), items, outcomes, error);
                    } finally {
                        if (count > 0) {
                            gate.release(count, bytes);
                        }
                    }
                }));
    }

    private void answerBatch(
            HttpServerResponse response, List<Submission> items, List<Submissions.Outcome> outcomes, Throwable error) {
        List<Submissions.Outcome> results = error == null
                ? outcomes
                : Collections.nCopies(
                        items.size(),
                        new Submissions.Refused(500, "internal", "the submission failed: " + error, null));
        int accepted = 0;
        boolean retryLater = false;
        for (Submissions.Outcome outcome : results) {
            if (outcome instanceof Submissions.Accepted) {
                accepted++;
            } else if (outcome instanceof Submissions.Refused r) {
                retryLater |= r.retryLater();
            }
        }
        int acceptedCount = accepted;
        Buffer answer = json(g -> {
            g.writeNumberField("accepted", acceptedCount);
            g.writeNumberField("rejected", items.size() - acceptedCount);
            g.writeArrayFieldStart("items");
            int next = 0;
            for (Submission item : items) {
                if (item.task() == null) {
                    errorItem(
                            g,
                            "invalid_task",
                            item.error().getMessage(),
                            item.error().field());
                    continue;
                }
                switch (results.get(next++)) {
                    case Submissions.Accepted a -> {
                        g.writeStartObject();
                        acceptedFields(g, a);
                        g.writeEndObject();
                    }
                    case Submissions.Refused r -> errorItem(g, r.code(), r.message(), r.field());
                }
            }
            g.writeEndArray();
        });
        gate.pressureHeader(response);
        if (retryLater) {
            response.putHeader("Retry-After", "1");
        }
        response.setStatusCode(accepted == items.size() ? 200 : 207)
                .putHeader("content-type", "application/json")
                .end(answer);
    }

    /** A JSON object written straight into a response buffer. */
    private static Buffer json(Json.Fields fields) {
        return Buffer.buffer(Json.writeObject(fields));
    }

    private static void acceptedFields(JsonGenerator g, Submissions.Accepted accepted) throws IOException {
        g.writeStringField("id", accepted.id());
        g.writeStringField("status", "QUEUED");
        if (accepted.duplicate()) {
            g.writeBooleanField("duplicate", true);
        }
    }

    private static void errorItem(JsonGenerator g, String code, String message, String field) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("error");
        g.writeStringField("code", code);
        g.writeStringField("message", message);
        if (field != null) {
            g.writeStringField("field", field);
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void refused(HttpServerResponse response, Submissions.Refused refused) {
        if (refused.retryLater()) {
            HttpErrors.unavailable(response, refused.code(), refused.message(), 1);
        } else {
            HttpErrors.send(response, refused.status(), refused.code(), refused.message(), refused.field());
        }
    }

    private void invalid(RoutingContext ctx, int status, String code, String message, String field) {
        Meters.counter(registry, Meters.TASKS_REJECTED, "invalid").increment();
        HttpErrors.send(ctx.response(), status, code, message, field);
    }

    private static byte[] body(RoutingContext ctx) {
        Buffer body = ctx.body().buffer();
        return body == null ? new byte[0] : body.getBytes();
    }

    private static String mediaType(RoutingContext ctx) {
        String header = ctx.request().getHeader("content-type");
        if (header == null) {
            return "";
        }
        int semicolon = header.indexOf(';');
        return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean isNdjson(String type) {
        return type.equals("application/x-ndjson")
                || type.equals("application/ndjson")
                || type.equals("application/jsonl");
    }
}
