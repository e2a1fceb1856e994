package io.conveyor.core;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.internal.Instants;
import io.conveyor.core.internal.JsonFields;
import io.conveyor.core.internal.JsonWriting;
import io.conveyor.core.internal.RandomIds;
import io.conveyor.core.internal.RawFieldReader;
import io.conveyor.core.internal.RawJson;
import io.conveyor.core.internal.ResultReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
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

    // Jackson's default buffer pool, one per thread: the worker's threads each run many records one
    // after another (see the consumers' Dispatcher), and the API's and rollups' are long-lived. A
    // shared pool was contended between the cores instead (4% of the worker's CPU in its profile).
    // big decimals for floats: a payload number such as 1e400 stays a number instead of becoming Infinity
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.threadLocalPool())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final RawFieldReader RAW = new RawFieldReader(MAPPER);

    private static final ResultReader RESULTS = new ResultReader(MAPPER);

    private final Clock clock;

    public TaskCodec(Clock clock) {
        this.clock = clock;
    }

    public TaskCodec() {
        this(Clock.systemUTC());
    }

    /** The shared, configured Jackson mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    // ---- tasks

    /** The task's record value: the fields of {@link #toJson(Task)}, streamed without a tree. */
    public byte[] encode(Task task) {
        return writeObject(g -> {
            g.writeStringField("id", task.id());
            g.writeStringField("type", task.type());
            g.writeFieldName("payload");
            writeValue(g, task.payload());
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
        JsonNode node = parse(bytes);
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
     *
     * @throws MalformedTaskException when the bytes are not one JSON object, or naming the first
     *     bad field
     */
    public Task readSubmission(byte[] bytes, int offset, int length) throws MalformedTaskException {
        return readSubmission(RAW.object(bytes, offset, length, "payload"));
    }

    /**
     * Reads one item of a batch as {@link #readSubmission(byte[], int, int)} does: its task, or why
     * it is not one.
     */
    public Submission readSubmissionItem(byte[] bytes, int offset, int length) {
        try {
            return submission(RAW.object(bytes, offset, length, "payload"));
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
        return RAW.array(
                        bytes,
                        max,
                        "payload",
                        this::submission,
                        other -> new Submission(
                                null, new MalformedTaskException(null, "the body must be a JSON object")))
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
            runAt = submittedAt.plusMillis(delayMs.get());
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

    // ---- results

    /** The result's record value: the fields of {@link #toJson(TaskResult)}, streamed without a tree. */
    public byte[] encode(TaskResult r) {
        return writeObject(g -> {
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
                writeValue(g, r.result());
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
        return result(parse(bytes));
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

    /**
     * A JSON value kept as its UTF-8 bytes (which must be one well-formed value), written out
     * verbatim: how {@link #decodeResultKeepingOutput} holds a result's output.
     */
    public static JsonNode rawJson(byte[] bytes, int offset, int length) {
        return RawJson.node(bytes, offset, length);
    }

    /** The UTF-8 JSON of {@code node}: the very bytes of a {@link #rawJson} node, written for others. */
    public static byte[] jsonBytes(JsonNode node) {
        byte[] raw = RawJson.bytesOf(node);
        if (raw != null) {
            return raw;
        }
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /** {@code r} with its output as a parsed tree, when {@link #decodeResultKeepingOutput} kept it as bytes. */
    public static TaskResult withParsedOutput(TaskResult r) {
        byte[] raw = RawJson.bytesOf(r.result());
        if (raw == null) {
            return r;
        }
        try {
            return r.withResult(MAPPER.readTree(raw));
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
        return write(n);
    }

    /** Whether a control record's value asks for cancellation. */
    public static boolean isCancellation(byte[] value) {
        try {
            return "cancel".equals(parse(value).path("action").asText());
        } catch (MalformedTaskException e) {
            return false;
        }
    }

    // ---- plumbing

    /** Parses bytes as one JSON document. */
    public static JsonNode parse(byte[] bytes) throws MalformedTaskException {
        if (bytes == null || bytes.length == 0) {
            throw new MalformedTaskException(null, "the record is empty; expected a JSON object");
        }
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new MalformedTaskException(null, "expected a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw RawFieldReader.malformed(e);
        }
    }

    /**
     * Parses one JSON value of any kind (object, array, ...) from {@code length} bytes at {@code
     * offset}, such as one line of an NDJSON batch.
     */
    public static JsonNode parseValue(byte[] bytes, int offset, int length) throws MalformedTaskException {
        if (length == 0) {
            throw new MalformedTaskException(null, "the document is empty");
        }
        try {
            JsonNode node = MAPPER.readTree(bytes, offset, length);
            if (node == null || node.isMissingNode()) {
                throw new MalformedTaskException(null, "the document is empty");
            }
            return node;
        } catch (IOException e) {
            throw RawFieldReader.malformed(e);
        }
    }

    /**
     * Checks that {@code bytes} are well-formed UTF-8 (no overlong forms, no encoded surrogates, no
     * truncated sequences). JSON parsers are lenient about some of these; the API is not.
     */
    public static void requireUtf8(byte[] bytes) throws MalformedTaskException {
        int i = 0;
        while (i < bytes.length && bytes[i] >= 0) {
            i++; // ASCII fast path
        }
        if (i == bytes.length) {
            return;
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw new MalformedTaskException(null, "the body is not valid UTF-8 (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] write(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /** Writes one JSON object's fields. */
    @FunctionalInterface
    public interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object, its fields streamed by {@code fields} with the shared mapper's settings. */
    public static byte[] writeObject(Fields fields) {
        ByteArrayBuilder out = new ByteArrayBuilder(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("a JSON object could not be written", e);
        }
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, JsonNode value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else {
            JsonWriting.writeTree(g, value, MAPPER);
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
