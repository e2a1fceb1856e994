package io.conveyor.producers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Request bodies for fuzzing {@code POST /v1/tasks}: random bytes, a valid submission with its
 * fields removed, retyped or added, and its JSON text truncated or with bytes flipped. Not
 * thread-safe; deterministic for a seed.
 */
final class RandomBodies {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> FIELDS = List.of(
            "type",
            "payload",
            "key",
            "priority",
            "idempotencyKey",
            "maxAttempts",
            "timeoutMs",
            "delayMs",
            "runAt",
            "id",
            "attempt",
            "submittedAt",
            "");
    private static final List<String> STRINGS = List.of(
            "",
            " ",
            "echo",
            "HIGH",
            "low",
            "Normal",
            "2026-01-31T12:00:00Z",
            "+1000000000-12-31T23:59:59.999999999Z",
            "-1000000000-01-01T00:00:00Z",
            "2026-13-45T99:99:99Z",
            "\u0000",
            "\uD800",
            "\uD83D\uDE00",
            "\u202E\u00e9\u4e2d",
            "a\nb\tc\"d\\e",
            "NaN");

    private final Random random;

    RandomBodies(long seed) {
        this.random = new Random(seed);
    }

    /** A valid submission. */
    static ObjectNode valid() {
        ObjectNode task = NODES.objectNode()
                .put("type", "echo")
                .put("priority", "high")
                .put("key", "k1")
                .put("maxAttempts", 3)
                .put("timeoutMs", 1_000);
        task.putObject("payload").put("hello", "world");
        return task;
    }

    byte[] next() {
        return switch (random.nextInt(4)) {
            case 0 -> randomBytes();
            case 1 -> text(mutatedTree());
            case 2 -> mutatedText(text(random.nextBoolean() ? valid() : mutatedTree()));
            default -> text(randomValue(3));
        };
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(256)];
        random.nextBytes(bytes);
        if (bytes.length > 0 && random.nextBoolean()) {
            bytes[0] = '{';
        }
        return bytes;
    }

    private ObjectNode mutatedTree() {
        ObjectNode task = valid();
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
            String field = pick(FIELDS);
            switch (random.nextInt(3)) {
                case 0 -> task.remove(field);
                case 1 -> task.set(field, randomValue(3));
                default -> task.set(randomString(), randomValue(1));
            }
        }
        return task;
    }

    private byte[] mutatedText(byte[] json) {
        if (json.length == 0) {
            return json;
        }
        int at = random.nextInt(json.length);
        return switch (random.nextInt(4)) {
            case 0 -> Arrays.copyOf(json, at);
            case 1 -> {
                byte[] flipped = json.clone();
                flipped[at] = (byte) random.nextInt(256);
                yield flipped;
            }
            case 2 -> {
                byte[] longer = new byte[json.length + 1];
                System.arraycopy(json, 0, longer, 0, at);
                longer[at] = (byte) random.nextInt(256);
                System.arraycopy(json, at, longer, at + 1, json.length - at);
                yield longer;
            }
            default -> {
                String text = new String(json, StandardCharsets.UTF_8);
                yield (text + text.substring(at % text.length())).getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    private JsonNode randomValue(int depth) {
        int kinds = depth > 0 ? 11 : 9;
        return switch (random.nextInt(kinds)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(random.nextInt(7) - 3);
            case 3 ->
                NODES.numberNode(
                        pick(List.of(Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE + 1, random.nextLong())));
            case 4 -> NODES.numberNode(new BigInteger(130, random).negate());
            case 5 -> NODES.numberNode(pick(List.of(0.5, -0.0, 1e308, -1e-308, random.nextDouble())));
            case 6 -> NODES.numberNode(new BigDecimal("1e400"));
            case 7 -> NODES.textNode(pick(STRINGS));
            case 8 -> NODES.textNode(randomString());
            case 9 -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(randomValue(depth - 1));
                }
                yield array;
            }
            default -> {
                ObjectNode object = NODES.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    object.set(random.nextBoolean() ? pick(FIELDS) : randomString(), randomValue(depth - 1));
                }
                yield object;
            }
        };
    }

    private String randomString() {
        int length = random.nextInt(12);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) (random.nextBoolean() ? 'a' + random.nextInt(26) : random.nextInt(0x3000)));
        }
        return s.toString();
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static byte[] text(JsonNode node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The start of a body, printable, for failure messages. */
    static String excerpt(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        return text + (body.length > 200 ? "..." : "");
    }
}
