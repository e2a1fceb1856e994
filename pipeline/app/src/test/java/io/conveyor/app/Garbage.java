package io.conveyor.app;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Garbage for Kafka topics, deterministic for a seed: values that are not what a Conveyor topic
 * carries (random bytes, empty and null values, JSON of the wrong shape, fields of the wrong type,
 * invalid UTF-8, deep nesting, huge numbers, cut-short documents), keys (none, text, binary, empty)
 * and headers (none, Conveyor's own names with garbage in them, binary names and values, null
 * values, many). Not thread-safe.
 */
final class Garbage {
    private final SplittableRandom random;

    Garbage(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** A value no Conveyor reader can use as a task, result, cancellation or window. */
    byte[] value() {
        return switch (random.nextInt(13)) {
            case 0 -> bytes(1 + random.nextInt(300));
            case 1 -> new byte[0];
            case 2 -> null;
            case 3 -> utf8(pick("[1,2]", "\"task\"", "42", "null", "true", "[]", "{}"));
            case 4 ->
                utf8(pick(
                        "{\"payload\":1}",
                        "{\"type\":7}",
                        "{\"type\":\"\"}",
                        "{\"type\":null}",
                        "{\"type\":[\"echo\"]}"));
            case 5 ->
                utf8(
                        pick(
                                "{\"type\":\"echo\",\"maxAttempts\":0}",
                                "{\"type\":\"echo\",\"priority\":\"urgent\"}",
                                "{\"type\":\"echo\",\"runAt\":\"tomorrow\"}",
                                "{\"type\":\"echo\",\"runAt\":\"+1000000000-01-01T00:00:00Z\"}",
                                "{\"type\":\"echo\",\"delayMs\":9223372036854775807}",
                                "{\"type\":\"echo\",\"attempt\":0}",
                                "{\"type\":\"echo\",\"timeoutMs\":-1}",
                                "{\"type\":\"echo\",\"submittedAt\":9223372036854775807}",
                                "{\"type\":\"echo\",\"id\":\"  \"}",
                                "{\"type\":\"echo\",\"status\":\"SUCCEEDED\",\"updatedAt\":\"+10000-01-01T00:00:00Z\",\"id\":7}"));
            case 6 -> {
                byte[] bad = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', 'e', (byte) 0xC3, 0x28, 'o', '"', '}'};
                yield bad;
            }
            case 7 -> utf8("[".repeat(2_000 + random.nextInt(5_000)));
            case 8 ->
                utf8("{\"type\":\"echo\",\"maxAttempts\":1" + "0".repeat(1_500) + ",\"status\":\"" + "x".repeat(10)
                        + "\"");
            case 9 -> {
                byte[] whole =
                        utf8("{\"type\":\"echo\",\"payload\":{\"hello\":\"world\",\"n\":[1,2,3]},\"key\":\"k\"}");
                yield java.util.Arrays.copyOf(whole, 1 + random.nextInt(whole.length - 2));
            }
            case 10 -> {
                byte[] b = bytes(2 + random.nextInt(100));
                b[0] = '{';
                yield b;
            }
            case 11 -> utf8("{\"action\":" + pick("7", "null", "[\"cancel\"]", "{\"do\":\"cancel\"}") + "}");
            default -> utf8("{\"type\":\"echo\",\"payload\":\"" + "x".repeat(random.nextInt(100_000)) + "}");
        };
    }

    /** A key: none, text, binary, or empty. */
    byte[] key() {
        return switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> utf8("k-" + random.nextInt(1_000));
            case 2 -> bytes(1 + random.nextInt(40));
            default -> new byte[0];
        };
    }

    /** A key for a compacted topic, which refuses records without one: text, binary or empty. */
    byte[] someKey() {
        byte[] key = key();
        return key == null ? utf8("k-null") : key;
    }

    /** Headers: none, or garbage ones, some with Conveyor's names. */
    List<Header> headers() {
        List<Header> headers = new ArrayList<>();
        if (random.nextInt(3) == 0) {
            return headers;
        }
        for (int i = random.nextInt(1, 6); i > 0; i--) {
            headers.add(
                    switch (random.nextInt(6)) {
                        case 0 -> new RecordHeader("conveyor-not-before", notBefore());
                        case 1 -> new RecordHeader("conveyor-original-topic", bytes(1 + random.nextInt(20)));
                        case 2 -> new RecordHeader("conveyor-dlq-reason", utf8("exhausted"));
                        case 3 -> new RecordHeader("h\u0000\u00e9", null);
                        case 4 ->
                            new RecordHeader(
                                    new String(bytes(8), StandardCharsets.ISO_8859_1), bytes(random.nextInt(200)));
                        default -> new RecordHeader("conveyor-attempts", utf8("-99999999999999999999"));
                    });
        }
        if (random.nextInt(10) == 0) {
            for (int i = 0; i < 50; i++) {
                headers.add(new RecordHeader("x-many-" + i, utf8("v")));
            }
        }
        return headers;
    }

    /**
     * A {@code conveyor-not-before} that is garbage: not a number, binary, absent, in the past, or
     * past the year 9999. (A well-formed time in the future holds its retry partition until then,
     * by design: a delayed task waits there.)
     */
    byte[] notBefore() {
        return switch (random.nextInt(8)) {
            case 0 -> utf8("soon");
            case 1 -> utf8("");
            case 2 -> utf8("-1");
            case 3 -> utf8("0");
            case 4 -> utf8(String.valueOf(Long.MAX_VALUE));
            case 5 -> utf8("253402300800000");
            case 6 -> bytes(8);
            default -> null;
        };
    }

    private byte[] bytes(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
