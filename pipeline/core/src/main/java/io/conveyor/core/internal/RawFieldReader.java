package io.conveyor.core.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.MalformedTaskException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads JSON objects with a streaming parser into trees, but one named field as the bytes it came
 * as ({@link RawJson}): the task payload in the API, the handler's output in the rollups, which
 * both only pass it on. Errors are {@link MalformedTaskException}s with the messages the tree
 * readers give. Stateless, thread-safe.
 */
public final class RawFieldReader {
    private final ObjectMapper mapper;
    // for values inside a document being read: what follows them is the rest of the document
    private final ObjectReader nested;

    public RawFieldReader(ObjectMapper mapper) {
        this.mapper = mapper;
        this.nested = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** What the items of an array became, up to the limit; {@code total} counts them all. */
    public record Items<T>(List<T> items, int total) {}

    /** The one JSON object in {@code length} bytes at {@code offset}, field {@code raw} kept as bytes. */
    public ObjectNode object(byte[] bytes, int offset, int length, String raw) throws MalformedTaskException {
        if (bytes == null || length == 0) {
            throw new MalformedTaskException(null, "the record is empty; expected a JSON object");
        }
        try (JsonParser p = mapper.createParser(bytes, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                requireJson(bytes, offset, length);
                throw new MalformedTaskException(null, "expected a JSON object");
            }
            ObjectNode node = fields(p, bytes, offset, raw);
            requireEnd(p);
            return node;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * The items of the JSON array in {@code bytes}, up to {@code max}: each object (field {@code
     * raw} kept as bytes) as {@code onObject} makes it, anything else as {@code onOther} does. Empty
     * when the bytes are JSON but not an array.
     *
     * @throws MalformedTaskException when the bytes are not one JSON value
     */
    public <T> Optional<Items<T>> array(
            byte[] bytes, int max, String raw, Function<ObjectNode, T> onObject, Function<JsonToken, T> onOther)
            throws MalformedTaskException {
        if (bytes.length == 0) {
            throw new MalformedTaskException(null, "the document is empty");
        }
        try (JsonParser p = mapper.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                requireJson(bytes, 0, bytes.length);
                return Optional.empty();
            }
            List<T> items = new ArrayList<>();
            int total = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                total++;
                if (total <= max && t == JsonToken.START_OBJECT) {
                    items.add(onObject.apply(fields(p, bytes, 0, raw)));
                } else {
                    p.skipChildren();
                    if (total <= max) {
                        items.add(onOther.apply(t));
                    }
                }
            }
            requireEnd(p);
            return Optional.of(new Items<>(items, total));
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * The fields of the object whose START_OBJECT {@code p} is on, but field {@code raw} as its
     * bytes: from the start of its first token to the end of its last, found as the start of the
     * token after it less the separator (a JSON null stays a null node). Leaves {@code p} on the
     * END_OBJECT.
     */
    private ObjectNode fields(JsonParser p, byte[] bytes, int base, String raw) throws IOException {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        JsonToken t = p.nextToken();
        while (t == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals(raw) && value != JsonToken.VALUE_NULL) {
                Kept kept = keep(p, bytes, base);
                node.set(name, kept.node());
                t = kept.next();
            } else {
                node.set(name, value.isStructStart() ? nested.readTree(p) : scalar(p, value));
                t = p.nextToken();
            }
        }
        return node;
    }

    /** A field value kept as its bytes, and the token after it, where the parser now is. */
    public record Kept(JsonNode node, JsonToken next) {}

    /**
     * The value {@code p} is on (not null), as its bytes ({@link RawJson}): from the start of its
     * first token to the end of its last, found as the start of the token after it less the
     * separator. {@code base} is where the parser's input starts in {@code bytes}.
     */
    public static Kept keep(JsonParser p, byte[] bytes, int base) throws IOException {
        int start = base + (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken();
        }
        JsonToken next = p.nextToken();
        int end = trimSpace(bytes, start, base + (int) p.currentTokenLocation().getByteOffset());
        if (next == JsonToken.FIELD_NAME) {
            end = trimSpace(bytes, start, end - 1); // the comma before the next field
        }
        return new Kept(RawJson.node(bytes, start, end - start), next);
    }

    /** The node Jackson's tree reader makes of a scalar (big decimals for floats, as the mapper does). */
    static JsonNode scalar(JsonParser p, JsonToken t) throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (t) {
            case VALUE_STRING -> f.textNode(p.getText());
            case VALUE_NUMBER_INT ->
                switch (p.getNumberType()) {
                    case INT -> f.numberNode(p.getIntValue());
                    case LONG -> f.numberNode(p.getLongValue());
                    default -> f.numberNode(p.getBigIntegerValue());
                };
            case VALUE_NUMBER_FLOAT -> f.numberNode(p.getDecimalValue());
            case VALUE_TRUE -> f.booleanNode(true);
            case VALUE_FALSE -> f.booleanNode(false);
            default -> f.nullNode();
        };
    }

    /** Throws the tree reader's error when the bytes are not one JSON value. */
    private void requireJson(byte[] bytes, int offset, int length) throws IOException, MalformedTaskException {
        JsonNode node = mapper.readTree(bytes, offset, length);
        if (node == null || node.isMissingNode()) {
            throw new MalformedTaskException(null, "the document is empty");
        }
    }

    /** Throws when anything follows the value the parser has read. */
    public static void requireEnd(JsonParser p) throws IOException, MalformedTaskException {
        JsonToken trailing = p.nextToken();
        if (trailing != null) {
            throw new MalformedTaskException(
                    null, "not valid JSON: trailing token (" + trailing + ") after the value; send one JSON value");
        }
    }

    private static int trimSpace(byte[] bytes, int start, int end) {
        while (end > start && isJsonSpace(bytes[end - 1])) {
            end--;
        }
        return end;
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** A parser's failure as the tree readers report it. */
    public static MalformedTaskException malformed(IOException e) {
        return e instanceof JsonProcessingException j
                ? new MalformedTaskException(null, "not valid JSON: " + j.getOriginalMessage(), j)
                : new MalformedTaskException(null, "unreadable: " + e.getMessage(), e);
    }
}
