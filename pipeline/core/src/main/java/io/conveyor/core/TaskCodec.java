package io.conveyor.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.internal.Instants;
import io.conveyor.core.internal.JsonFields;
import io.conveyor.core.internal.RandomIds;
import io.conveyor.core.internal.RawFieldReader;
import io.conveyor.core.internal.RawJson;
import io.conveyor.core.internal.ResultReader;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON wire format of tasks and results (documented in the README). Thread-safe.
 *
 * <p>A task record needs only {@code type}; everything else has a default, so any Kafka client can
 * write {@code {"type":"echo","payload":{...}}} to a task topic. Unknown fields in records are
 * ignored (newer writers may add fields); unknown fields in HTTP submissions are rejected, because
 * there they are almost always typos.
 */
public final class TaskCodec {

    /** The fields a client may send in an HTTP submission. */
    public static final Set<String> SUBMISSION_FIELDS = Set.of(
            "type", "payload", "key", "priority", "idempotencyKey", "maxAttempts", "timeoutMs", "delayMs", "runAt");

    private static final RawFieldReader RAW = new RawFieldReader(Json.mapper());

    /** HTTP submissions: a field given twice is refused (which one would count is up to the reader). */
    private static final RawFieldReader SUBMISSIONS = new RawFieldReader(Json.mapper(), true);

    private static final ResultReader RESULTS = new ResultReader(Json.mapper());

    private final Clock clock;

    public TaskCodec(Clock clock) {
        this.clock = clock;
    }

    public TaskCodec() {
        this(Clock.systemUTC());
    }

    // ---- tasks

    /** The task's record value: the fields of {@link #toJson(Task)}, streamed without a tree. */
    public byte[] encode(Task task) {
        return Json.writeObject(g -> {
            g.writeStringField("id", task.id());
            g.writeStringField("type", task.type());
            g.writeFieldName("payload");
            Json.writeValue(g, task.payload());
            if (task.key() != null) {
                g.writeStringField("key", task.key());
            }
            g.writeStringField("priority", task.priority().wireName());
            if (task.idempotencyKey() != null) {
                g.writeStringField("idempotencyKey", task.idempotencyKey());
            }
            g.writeNumberField("maxAttempts", task.maxAttempts());
            g.writeNumberField("timeoutMs", task.timeoutMs());
            writeIfPresent(g, "runAt", task.runAt());
            g.writeStringField("submittedAt", Instants.format(task.submittedAt()));
            g.writeNumberField("attempt", task.attempt());
        });
    }

    public ObjectNode toJson(Task task) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("id", task.id());
        n.put("type", task.type());
        n.set("payload", task.payload());
        if (task.key() != null) {
            n.put("key", task.key());
        }
        n.put("priority", task.priority().wireName());
        if (task.idempotencyKey() != null) {
            n.put("idempotencyKey", task.idempotencyKey());
        }
        n.put("maxAttempts", task.maxAttempts());
        n.put("timeoutMs", task.timeoutMs());
        if (task.runAt() != null) {
            n.put("runAt", task.runAt().toString());
        }
        n.put("submittedAt", task.submittedAt().toString());
        n.put("attempt", task.attempt());
        return n;
    }

    /**
     * Reads a task record, filling in what a plain Kafka client may leave out from its origin.
     *
     * @throws MalformedTaskException when the bytes are not a JSON object with a valid task
     */
    public Task decode(byte[] bytes, RecordOrigin origin) throws MalformedTaskException {
        JsonNode node = Json.parse(bytes);
        Instant submittedAt = JsonFields.optionalInstant(node, "submittedAt").orElse(origin.timestamp());
        return read(
                node,
                JsonFields.optionalText(node, "id").orElse(origin.derivedId()),
                origin.priority(),
                submittedAt,
                JsonFields.optionalInt(node, "attempt", 1).orElse(1));
    }

    /**
     * Reads an HTTP submission: a new task with a fresh id, submitted now.
     *
     * @throws MalformedTaskException naming the first bad field
     */
    public Task readSubmission(JsonNode node) throws MalformedTaskException {
        if (node == null || !node.isObject()) {
            throw new MalformedTaskException(null, "the body must be a JSON object");
        }
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!SUBMISSION_FIELDS.contains(name)) {
                throw new MalformedTaskException(
                        name, "unknown field '" + name + "'; accepted fields are " + SUBMISSION_FIELDS);
            }
        }
        return read(node, RandomIds.next().toString(), Priority.NORMAL, clock.instant(), 1);
    }

    /**
     * Reads an HTTP submission from {@code length} bytes at {@code offset} (a body, or one line of
     * an NDJSON batch), as {@link #readSubmission(JsonNode)} reads its tree, with the same errors;
     * but the payload is kept as the bytes it came as ({@link RawJson}): the API only passes it on.
     * Unlike a tree, which keeps the last of two fields of one name, the bytes show a field given
     * twice (in the task, or in an object of its payload), and it is refused.
     *
     * @throws MalformedTaskException when the bytes are not one JSON object, or naming the first
     *     bad field (a duplicate one first)
     */
    public Task readSubmission(byte[] bytes, int offset, int length) throws MalformedTaskException {
        return readSubmission(SUBMISSIONS.object(bytes, offset, length, "payload"));
    }

    /**
     * Reads one item of a batch as {@link #readSubmission(byte[], int, int)} does: its task, or why
     * it is not one.
     */
    public Submission readSubmissionItem(byte[] bytes, int offset, int length) {
        try {
            return submission(SUBMISSIONS.object(bytes, offset, length, "payload"));
        } catch (MalformedTaskException e) {
            return new Submission(null, e);
        }
    }

    /** One item of a batch: a task, or why it is not one. */
    public record Submission(Task task, MalformedTaskException error) {}

    /**
     * The items of a JSON array of submissions, each read as {@link #readSubmission(byte[], int,
     * int)} reads one, up to {@code max}; {@code total} counts every item, also beyond {@code max}.
     */
    public record SubmissionArray(List<Submission> items, int total) {}

    /**
     * Reads a JSON array of submissions: an item that is not a valid submission becomes its error,
     * the others still count. Empty when the bytes are valid JSON but not an array.
     *
     * @throws MalformedTaskException when the bytes are not JSON (or have trailing tokens)
     */
    public Optional<SubmissionArray> readSubmissionArray(byte[] bytes, int max) throws MalformedTaskException {
        return SUBMISSIONS
                .array(
                        bytes,
                        max,
                        "payload",
                        this::submission,
                        other -> new Submission(
                                null, new MalformedTaskException(null, "the body must be a JSON object")),
                        duplicate -> new Submission(null, duplicate))
                .map(items -> new SubmissionArray(items.items(), items.total()));
    }

    private Submission submission(ObjectNode fields) {
        try {
            return new Submission(readSubmission(fields), null);
        } catch (MalformedTaskException e) {
            return new Submission(null, e);
        } catch (IllegalArgumentException e) {
            return new Submission(null, new MalformedTaskException(null, e.getMessage(), e));
        }
    }

    private Task read(JsonNode node, String id, Priority defaultPriority, Instant submittedAt, int attempt)
            throws MalformedTaskException {
        String type = JsonFields.requiredText(node, "type");
        Priority priority = defaultPriority;
        var priorityText = JsonFields.optionalText(node, "priority");
        if (priorityText.isPresent()) {
            try {
                priority = Priority.parse(priorityText.get());
            } catch (IllegalArgumentException e) {
                throw new MalformedTaskException("priority", "priority " + e.getMessage(), e);
            }
        }
        Instant runAt = JsonFields.optionalInstant(node, "runAt").orElse(null);
        var delayMs = JsonFields.optionalLong(node, "delayMs", 0);
        if (delayMs.isPresent()) {
            if (runAt != null) {
                throw new MalformedTaskException("delayMs", "give either delayMs or runAt, not both");
            }
            runAt = delayed(submittedAt, delayMs.get());
        }
        return new Task(
                id,
                type,
                node.path("payload").isMissingNode() ? null : node.get("payload"),
                JsonFields.optionalText(node, "key").orElse(null),
                priority,
                JsonFields.optionalText(node, "idempotencyKey").orElse(null),
                JsonFields.optionalInt(node, "maxAttempts", 1).orElse(Task.DEFAULT_MAX_ATTEMPTS),
                JsonFields.optionalLong(node, "timeoutMs", 0).orElse(0L),
                runAt,
                submittedAt,
                attempt);
    }

    /** {@code submittedAt} plus {@code delayMs}, refused past the latest instant the wire format carries. */
    private static Instant delayed(Instant submittedAt, long delayMs) throws MalformedTaskException {
        long room = Duration.between(submittedAt, Instants.MAX).toMillis();
        if (delayMs > room) {
            throw new MalformedTaskException(
                    "delayMs",
                    "delayMs must be at most " + room + " (runAt must not pass " + Instants.MAX + "), but was "
                            + delayMs);
        }
        return submittedAt.plusMillis(delayMs);
    }

    // ---- results

    /** The result's record value: the fields of {@link #toJson(TaskResult)}, streamed without a tree. */
    public byte[] encode(TaskResult r) {
        return Json.writeObject(g -> {
            g.writeStringField("id", r.taskId());
            g.writeStringField("type", r.type());
            g.writeStringField("status", r.status().name());
            g.writeNumberField("attempt", r.attempt());
            writeIfPresent(g, "workerId", r.workerId());
            writeIfPresent(g, "submittedAt", r.submittedAt());
            writeIfPresent(g, "startedAt", r.startedAt());
            writeIfPresent(g, "finishedAt", r.finishedAt());
            g.writeStringField("updatedAt", Instants.format(r.updatedAt()));
            if (r.result() != null) {
                g.writeFieldName("result");
                Json.writeValue(g, r.result());
            }
            if (r.error() != null) {
                g.writeObjectFieldStart("error");
                g.writeStringField("kind", r.error().kind());
                g.writeStringField("message", r.error().message());
                g.writeEndObject();
            }
        });
    }

    public ObjectNode toJson(TaskResult r) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("id", r.taskId());
        n.put("type", r.type());
        n.put("status", r.status().name());
        n.put("attempt", r.attempt());
        putIfPresent(n, "workerId", r.workerId());
        putIfPresent(n, "submittedAt", r.submittedAt());
        putIfPresent(n, "startedAt", r.startedAt());
        putIfPresent(n, "finishedAt", r.finishedAt());
        n.put("updatedAt", r.updatedAt().toString());
        if (r.result() != null) {
            n.set("result", r.result());
        }
        if (r.error() != null) {
            ObjectNode e = n.putObject("error");
            e.put("kind", r.error().kind());
            e.put("message", r.error().message());
        }
        return n;
    }

    public TaskResult decodeResult(byte[] bytes) throws MalformedTaskException {
        return result(Json.parse(bytes));
    }

    /**
     * Reads a result as {@link #decodeResult} does, but keeps the handler's output ({@code result})
     * as the bytes it came as ({@link RawJson}), for readers that only pass it on, such as the
     * rollups' status table: that output can be any size, and they never look inside.
     */
    public TaskResult decodeResultKeepingOutput(byte[] bytes) throws MalformedTaskException {
        TaskResult plain = RESULTS.readPlain(bytes);
        if (plain != null) {
            return plain;
        }
        // not a plain record: the general way, which also says what is wrong
        return result(RAW.object(bytes, 0, bytes == null ? 0 : bytes.length, "result"));
    }

    /** {@code r} with its output as a parsed tree, when {@link #decodeResultKeepingOutput} kept it as bytes. */
    public static TaskResult withParsedOutput(TaskResult r) {
        byte[] raw = RawJson.bytesOf(r.result());
        if (raw == null) {
            return r;
        }
        try {
            return r.withResult(Json.mapper().readTree(raw));
        } catch (IOException e) {
            throw new IllegalStateException("a kept result output is not JSON: " + e.getMessage(), e);
        }
    }

    private static TaskResult result(JsonNode n) throws MalformedTaskException {
        TaskStatus status;
        String statusText = JsonFields.requiredText(n, "status");
        try {
            status = TaskStatus.valueOf(statusText);
        } catch (IllegalArgumentException e) {
            throw new MalformedTaskException("status", "unknown status '" + statusText + "'", e);
        }
        TaskError error = null;
        if (n.hasNonNull("error")) {
            JsonNode e = n.get("error");
            error = new TaskError(
                    JsonFields.requiredText(e, "kind"), e.path("message").asText(""));
        }
        return new TaskResult(
                JsonFields.requiredText(n, "id"),
                JsonFields.requiredText(n, "type"),
                status,
                JsonFields.optionalInt(n, "attempt", 0).orElse(0),
                JsonFields.optionalText(n, "workerId").orElse(null),
                JsonFields.optionalInstant(n, "submittedAt").orElse(null),
                JsonFields.optionalInstant(n, "startedAt").orElse(null),
                JsonFields.optionalInstant(n, "finishedAt").orElse(null),
                JsonFields.optionalInstant(n, "updatedAt")
                        .orElseThrow(() -> new MalformedTaskException("updatedAt", "updatedAt is required")),
                n.hasNonNull("result") ? n.get("result") : null,
                error);
    }

    // ---- control messages (on the control topic, keyed by task id)

    /** The value of a cancellation request for a task (the record key is the task id). */
    public byte[] encodeCancellation() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("action", "cancel");
        n.put("requestedAt", clock.instant().toString());
        return Json.write(n);
    }

    /**
     * The action a control record's value asks for ({@code cancel}, or what a newer writer added),
     * or empty when the value is not a JSON object with a textual {@code action}.
     */
    public static Optional<String> controlAction(byte[] value) {
        try {
            JsonNode action = Json.parse(value).path("action");
            return action.isTextual() ? Optional.of(action.asText()) : Optional.empty();
        } catch (MalformedTaskException e) {
            return Optional.empty();
        }
    }

    /** Whether a control record's value asks for cancellation. */
    public static boolean isCancellation(byte[] value) {
        try {
            return "cancel".equals(Json.parse(value).path("action").asText());
        } catch (MalformedTaskException e) {
            return false;
        }
    }

    private static void writeIfPresent(JsonGenerator g, String name, Object value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value instanceof Instant t ? Instants.format(t) : value.toString());
        }
    }

    private static void putIfPresent(ObjectNode n, String name, Object value) {
        if (value != null) {
            n.put(name, value.toString());
        }
    }
}
