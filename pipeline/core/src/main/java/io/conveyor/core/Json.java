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
import io.conveyor.core.internal.JsonWriting;
import io.conveyor.core.internal.RawFieldReader;
import io.conveyor.core.internal.RawJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * JSON with Conveyor's settings, for every module: the one configured Jackson mapper, parsing with
 * errors a user can act on ({@link MalformedTaskException}), strict UTF-8, streamed object writing,
 * and JSON values kept as their bytes. {@link TaskCodec} builds the wire format of tasks and results
 * on it. Stateless, thread-safe.
 */
public final class Json {
    // Jackson's default buffer pool, one per thread: the worker's threads each run many records one
    // after another (see the consumers' Dispatcher), and the API's and rollups' are long-lived. A
    // shared pool was contended between the cores instead (4% of the worker's CPU in its profile).
    // big decimals for floats: a payload number such as 1e400 stays a number instead of becoming Infinity
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.threadLocalPool())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private Json() {}

    /** The shared, configured Jackson mapper. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * A JSON value kept as its UTF-8 bytes (which must be one well-formed value), written out
     * verbatim: how {@link TaskCodec#decodeResultKeepingOutput} holds a result's output.
     */
    public static JsonNode rawJson(byte[] bytes, int offset, int length) {
        return RawJson.node(bytes, offset, length);
    }

    /** The UTF-8 JSON of {@code node}: the very bytes of a {@link #rawJson} node, written for others. */
    public static byte[] jsonBytes(JsonNode node) {
        byte[] raw = RawJson.bytesOf(node);
        return raw != null ? raw : write(node);
    }

    /** Parses bytes as one JSON object (anything else is refused, saying what was expected). */
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

    /** The UTF-8 JSON of a tree, written with the shared mapper. */
    static byte[] write(JsonNode node) {
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

    /** Writes {@code value} (null as a JSON null) as the shared mapper would. */
    static void writeValue(JsonGenerator g, JsonNode value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else {
            JsonWriting.writeTree(g, value, MAPPER);
        }
    }
}
