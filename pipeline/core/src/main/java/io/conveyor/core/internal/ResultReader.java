package io.conveyor.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.io.IOException;
import java.time.Instant;

/**
 * Reads a result record straight from the streaming parser into a {@link TaskResult}, the handler's
 * output kept as its bytes, without building a tree of the record first: the rollups read every
 * result, and the tree was most of what reading one cost.
 *
 * <p>It takes only the plain case: every known field of the type the wire format gives it, and
 * well-formed JSON. For anything else (a wrong type, a blank or unknown value, a missing field,
 * broken JSON) it answers null, and the caller reads the record the general way, which gives the
 * same value or the error message that says what is wrong. Fields it does not know it reads as the
 * general way does ({@link RawFieldReader#scalar}, the tree reader), so a value that way refuses (a
 * float out of range, a string over the parser's limit) makes this way give up too. {@code
 * TaskCodecPropertyTest} checks the two ways against each other, on edited trees and on raw JSON
 * text spliced into records. Stateless, thread-safe.
 */
public final class ResultReader {
    private final JsonFactory factory;
    private final ObjectReader nested;

    public ResultReader(ObjectMapper mapper) {
        this.factory = mapper.getFactory();
        this.nested = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The result in {@code bytes}, or null when it is not plain (see above). */
    public TaskResult readPlain(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try (JsonParser p = factory.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String id = null;
            String type = null;
            TaskStatus status = null;
            int attempt = 0;
            String workerId = null;
            Instant submittedAt = null;
            Instant startedAt = null;
            Instant finishedAt = null;
            Instant updatedAt = null;
            JsonNode output = null;
            TaskError error = null;
            JsonToken t = p.nextToken();
            while (t == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("result") && value != JsonToken.VALUE_NULL) {
                    RawFieldReader.Kept kept = RawFieldReader.keep(p, bytes, 0);
                    output = kept.node();
                    t = kept.next();
                    continue;
                }
                switch (name) {
                    case "id" -> id = text(p, value);
                    case "type" -> type = text(p, value);
                    case "status" -> status = TaskStatus.valueOf(text(p, value));
                    case "attempt" -> attempt = attempt(p, value);
                    case "workerId" -> workerId = value == JsonToken.VALUE_NULL ? null : text(p, value);
                    case "submittedAt" -> submittedAt = instant(p, value);
                    case "startedAt" -> startedAt = instant(p, value);
                    case "finishedAt" -> finishedAt = instant(p, value);
                    case "updatedAt" -> updatedAt = instant(p, value);
                    case "result" -> output = null;
                    case "error" -> error = error(p, value);
                    default -> unknown(p, value); // a field a newer writer added
                }
                t = p.nextToken();
            }
            RawFieldReader.requireEnd(p);
            if (id == null || type == null || status == null || updatedAt == null) {
                return null;
            }
            return new TaskResult(
                    id, type, status, attempt, workerId, submittedAt, startedAt, finishedAt, updatedAt, output, error);
        } catch (IOException | MalformedTaskException | RuntimeException e) {
            return null; // not plain (NotPlain, an unknown status, broken JSON ...): the general way says why
        }
    }

    /** Reads a field this version does not know as the general way would, and drops it. */
    private void unknown(JsonParser p, JsonToken value) throws IOException {
        if (value.isStructStart()) {
            nested.readTree(p);
        } else {
            RawFieldReader.scalar(p, value);
        }
    }

    /** A non-blank string. */
    private static String text(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw NotPlain.INSTANCE;
        }
        String text = p.getText();
        if (text.isBlank()) {
            throw NotPlain.INSTANCE;
        }
        return text;
    }

    private static int attempt(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (value != JsonToken.VALUE_NUMBER_INT
                || p.getNumberType() != JsonParser.NumberType.INT
                || p.getIntValue() < 0) {
            throw NotPlain.INSTANCE;
        }
        return p.getIntValue();
    }

    /** An ISO-8601 instant or epoch milliseconds, as {@link JsonFields#optionalInstant} reads them. */
    private static Instant instant(JsonParser p, JsonToken value) throws IOException {
        Instant instant = switch (value) {
            case VALUE_NULL -> null;
            case VALUE_STRING -> Instants.parse(p.getText()); // a DateTimeException is not plain
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw NotPlain.INSTANCE;
                }
                yield Instant.ofEpochMilli(p.getLongValue());
            }
            default -> throw NotPlain.INSTANCE;
        };
        if (instant != null && !Instants.onTheWire(instant)) {
            throw NotPlain.INSTANCE; // the general way names the range
        }
        return instant;
    }

    private TaskError error(JsonParser p, JsonToken value) throws IOException, MalformedTaskException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_OBJECT) {
            throw NotPlain.INSTANCE;
        }
        JsonNode e = nested.readTree(p);
        return new TaskError(
                JsonFields.requiredText(e, "kind"), e.path("message").asText(""));
    }

    /** The record is not plain; thrown without a stack trace, it costs a jump. */
    private static final class NotPlain extends RuntimeException {
        static final NotPlain INSTANCE = new NotPlain();

        private NotPlain() {
            super("not a plain result", null, false, false);
        }
    }
}
