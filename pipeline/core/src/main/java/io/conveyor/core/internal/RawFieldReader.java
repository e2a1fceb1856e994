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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads JSON objects with a streaming parser into trees, but one named field as the bytes it came
 * as ({@link RawJson}): the task payload in the API, the handler's output in the rollups, which
 * both only pass it on. Errors are {@link MalformedTaskException}s with the messages the tree
 * readers give. Stateless, thread-safe.
 *
 * <p>A reader that refuses duplicates (the API's) also refuses an object that gives a field twice,
 * at its top level or anywhere inside the kept field: which of the two a reader takes is up to the
 * reader (Jackson and Python take the last, others the first), so a client cannot know what would
 * run. The error names the top-level field; the object is still read to its end, so the items of a
 * batch after it are read as usual.
 */
public final class RawFieldReader {
    private final ObjectMapper mapper;
    // for values inside a document being read: what follows them is the rest of the document
    private final ObjectReader nested;
    private final boolean refuseDuplicates;

    /** A reader that lets the last of two fields of one name win, as Jackson's tree reader does. */
    public RawFieldReader(ObjectMapper mapper) {
        this(mapper, false);
    }

    public RawFieldReader(ObjectMapper mapper, boolean refuseDuplicates) {
        this.mapper = mapper;
        this.nested = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.refuseDuplicates = refuseDuplicates;
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
            ObjectNode node;
            try {
                node = fields(p, bytes, offset, raw);
            } catch (Duplicate d) {
                requireEnd(p);
                throw d.error();
            }
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
            byte[] bytes,
            int max,
            String raw,
            Function<ObjectNode, T> onObject,
            Function<JsonToken, T> onOther,
            Function<MalformedTaskException, T> onDuplicate)
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
                    ObjectNode fields;
                    try {
                        fields = fields(p, bytes, 0, raw);
                    } catch (Duplicate d) {
                        items.add(onDuplicate.apply(d.error()));
                        continue;
                    }
                    items.add(onObject.apply(fields));
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
    private ObjectNode fields(JsonParser p, byte[] bytes, int base, String raw) throws IOException, Duplicate {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        MalformedTaskException duplicate = null;
        JsonToken t = p.nextToken();
        while (t == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (refuseDuplicates && duplicate == null && node.has(name)) {
                duplicate = new MalformedTaskException(
                        name, "duplicate field '" + name + "'; give each field of the task once");
            }
            JsonToken value = p.nextToken();
            if (name.equals(raw) && value != JsonToken.VALUE_NULL) {
                String[] repeated = refuseDuplicates ? new String[1] : null;
                Kept kept = keep(p, bytes, base, repeated);
                if (repeated != null && repeated[0] != null && duplicate == null) {
                    duplicate = new MalformedTaskException(
                            name,
                            name + " has an object that gives the field '" + repeated[0]
                                    + "' twice; give each field of a JSON object once");
                }
                node.set(name, kept.node());
                t = kept.next();
            } else {
                node.set(name, value.isStructStart() ? nested.readTree(p) : scalar(p, value));
                t = p.nextToken();
            }
        }
        if (duplicate != null) {
            throw new Duplicate(duplicate);
        }
        return node;
    }

    /** An object of the API's that gives a field twice, read to its end; carries the error to answer. */
    private static final class Duplicate extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient MalformedTaskException error;

        Duplicate(MalformedTaskException error) {
            super(error.getMessage(), null, false, false);
            this.error = error;
        }

        MalformedTaskException error() {
            return error;
        }
    }

    /** A field value kept as its bytes, and the token after it, where the parser now is. */
    public record Kept(JsonNode node, JsonToken next) {}

    /**
     * The value {@code p} is on (not null), as its bytes ({@link RawJson}): from the start of its
     * first token to the end of its last, found as the start of the token after it less the
     * separator. {@code base} is where the parser's input starts in {@code bytes}.
     */
    public static Kept keep(JsonParser p, byte[] bytes, int base) throws IOException {
        return keep(p, bytes, base, null);
    }

    /** As {@link #keep(JsonParser, byte[], int)}, noting in {@code repeated[0]}, if given, a name given twice in an object. */
    private static Kept keep(JsonParser p, byte[] bytes, int base, String[] repeated) throws IOException {
        int start = base + (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken().isStructStart()) {
            if (repeated == null) {
                p.skipChildren();
            } else {
                repeated[0] = skipNotingRepeats(p);
            }
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

    /**
     * Skips the structure {@code p} is on as {@link JsonParser#skipChildren()} does, and returns the
     * first name given twice within one of its objects, or null.
     */
    private static String skipNotingRepeats(JsonParser p) throws IOException {
        ArrayDeque<Set<String>> open = new ArrayDeque<>();
        String repeated = null;
        JsonToken t = p.currentToken();
        while (true) {
            switch (t) {
                case START_OBJECT -> open.push(new HashSet<>());
                case START_ARRAY -> open.push(Set.of());
                case END_OBJECT, END_ARRAY -> open.pop();
                case FIELD_NAME -> {
                    if (repeated == null && !open.peek().add(p.currentName())) {
                        repeated = p.currentName();
                    }
                }
                default -> {}
            }
            if (open.isEmpty()) {
                return repeated;
            }
            t = p.nextToken();
            if (t == null) {
                return repeated; // the input ended inside the value: the caller's next read says so
            }
        }
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
