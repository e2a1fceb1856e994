package io.conveyor.producers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.Json;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hostile requests for the API, each built from the seed and its own index alone (so one case can
 * be rebuilt without the others): mutations of valid tasks, fields of the wrong type, huge numbers,
 * deep nesting, invalid UTF-8, duplicate and unknown fields, batches (JSON arrays and NDJSON) mixing
 * all of these, hostile task ids, wrong content types and methods, and raw HTTP no client library
 * sends (oversized or malformed request lines and headers, broken framing, unknown versions). Each
 * carries what the API must answer. Stateless, thread-safe.
 *
 * <p>The limits it expects are those of {@link #SETTINGS}.
 */
final class HostileRequests {
    /** The settings of the server under fuzz: small limits, so that going over them is cheap. */
    static final Map<String, String> SETTINGS = Map.of(
            "api.batch.max", "50",
            "api.max.body.bytes", "65536",
            "api.batch.max.body.bytes", "262144",
            "api.body.timeout.ms", "2000",
            "api.idle.timeout.ms", "5000");

    static final int MAX_BATCH = 50;
    static final int MAX_BODY = 65_536;
    static final int MAX_DEPTH = StreamReadConstraints.defaults().getMaxNestingDepth();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String JSON = "application/json";

    /** How a request is sent: by Java's HttpClient, or as raw bytes on a socket of its own. */
    enum Transport {
        CLIENT,
        RAW
    }

    /**
     * What the API must answer: a status (0: a success or any 4xx), the error code, the field the
     * error must name ({@code ""}: none; null: not checked), and a word its message must hold.
     */
    record Expect(int status, String code, String field, String says) {
        static final Expect ANY = new Expect(0, null, null, null);
        /** Any 4xx. */
        static final Expect CLIENT_ERROR = new Expect(-4, null, null, null);
        /** A success, any 4xx, or no answer (raw bytes that never make a request head: the idle timeout closes them). */
        static final Expect ANY_OR_NONE = new Expect(-1, null, null, null);

        static Expect accepted() {
            return new Expect(202, null, null, null);
        }

        static Expect invalid(String field, String says) {
            return new Expect(400, "invalid_task", field, says);
        }

        static Expect error(int status, String code, String says) {
            return new Expect(status, code, "", says);
        }
    }

    /**
     * One request. For {@link Transport#RAW}, {@code raw} is everything sent; otherwise method,
     * path (already %-encoded), content type (null: none), body (null: none) and extra headers.
     * {@code items} is, for a batch, what each item must be answered with.
     */
    record Hostile(
            int index,
            String kind,
            Transport transport,
            String method,
            String path,
            String contentType,
            byte[] body,
            List<String> headers,
            byte[] raw,
            Expect expect,
            List<Expect> items) {

        /** The request, printable, for failure messages (at most 300 characters). */
        String describe() {
            String shown = transport == Transport.RAW
                    ? new String(raw, StandardCharsets.ISO_8859_1)
                    : method + " " + path + " [" + contentType + "] "
                            + (body == null ? "" : new String(body, StandardCharsets.UTF_8));
            shown = shown.replace("\r", "\\r").replace("\n", "\\n");
            return "#" + index + " " + kind + ": " + (shown.length() > 300 ? shown.substring(0, 300) + "..." : shown);
        }
    }

    private final long seed;

    HostileRequests(long seed) {
        this.seed = seed;
    }

    /** The request of this index. */
    Hostile get(int index) {
        SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (index + 1)));
        int dice = r.nextInt(100);
        Builder b = new Builder(index);
        if (dice < 10) {
            return b.randomBody(r);
        } else if (dice < 22) {
            return b.wrongField(r);
        } else if (dice < 26) {
            return b.hugeNumber(r);
        } else if (dice < 30) {
            return b.deepNesting(r);
        } else if (dice < 35) {
            return b.invalidUtf8(r);
        } else if (dice < 40) {
            return b.duplicateField(r);
        } else if (dice < 44) {
            return b.unknownField(r);
        } else if (dice < 50) {
            return b.valid(r);
        } else if (dice < 64) {
            return b.batch(r);
        } else if (dice < 76) {
            return b.taskId(r);
        } else if (dice < 86) {
            return b.contentTypeOrMethod(r);
        } else {
            return b.raw(r);
        }
    }

    /** Builds the request of one index. */
    private static final class Builder {
        private final int index;

        Builder(int index) {
            this.index = index;
        }

        private Hostile post(String kind, String path, String contentType, byte[] body, Expect expect) {
            return new Hostile(
                    index, kind, Transport.CLIENT, "POST", path, contentType, body, List.of(), null, expect, null);
        }

        private Hostile task(String kind, byte[] body, Expect expect) {
            return post(
                    kind,
                    "/v1/tasks",
                    JSON,
                    body,
                    body.length > MAX_BODY ? Expect.error(413, "too_large", "api.max.body.bytes") : expect);
        }

        // ---- single submissions

        Hostile randomBody(SplittableRandom r) {
            return task("random body", new RandomBodies(r.nextLong()).next(), Expect.ANY);
        }

        Hostile wrongField(SplittableRandom r) {
            String[][] table = {
                {"type", "7", "true", "null", "\"\"", "\"  \"", "{}", "[\"echo\"]", "1.5"},
                {"key", "7", "true", "{}", "[]", "\"\"", "\" \""},
                {"priority", "1", "\"urgent\"", "\"\"", "\"HIGHEST\"", "[]", "true"},
                {"idempotencyKey", "7", "\"\"", "\" \"", "{}", "false"},
                {"maxAttempts", "0", "-1", "1.5", "\"3\"", "10000000000", "1e400", "true", "99999999999999999999999"},
                {"timeoutMs", "-5", "1.5", "\"x\"", "1e30", "99999999999999999999999", "{}"},
                {"delayMs", "-1", "\"soon\"", "9223372036854775807", "1.5", "[]"},
                {
                    "runAt",
                    "\"tomorrow\"",
                    "\"+1000000000-12-31T23:59:59Z\"",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "{}",
                    "true",
                    "\"2026-02-30T00:00:00Z\"",
                    "\"+10000-01-01T00:00:00Z\""
                },
            };
            String[] row = table[r.nextInt(table.length)];
            String field = row[0];
            String value = row[1 + r.nextInt(row.length - 1)];
            ObjectNode task = validTask(r, false);
            task.remove(field);
            if (field.equals("delayMs") || field.equals("runAt")) {
                task.remove("delayMs");
                task.remove("runAt");
            }
            return task("wrong " + field, spliced(task, field, value), Expect.invalid(field, field));
        }

        Hostile hugeNumber(SplittableRandom r) {
            String digits = "9".repeat(900 + r.nextInt(1_200));
            boolean tooLong = digits.length() > 1000;
            return switch (r.nextInt(3)) {
                case 0 -> {
                    ObjectNode task = validTask(r, false);
                    task.remove("payload");
                    yield task(
                            "huge number in payload",
                            spliced(task, "payload", "{\"n\":" + digits + ",\"e\":1e999999999,\"m\":-1e-400}"),
                            tooLong ? Expect.invalid("", "Number value length") : Expect.accepted());
                }
                case 1 -> {
                    ObjectNode task = validTask(r, false);
                    task.remove("maxAttempts");
                    yield task(
                            "huge maxAttempts",
                            spliced(task, "maxAttempts", digits),
                            tooLong
                                    ? Expect.invalid("", "Number value length")
                                    : Expect.invalid("maxAttempts", "maxAttempts"));
                }
                default -> {
                    ObjectNode task = validTask(r, false);
                    task.remove("timeoutMs");
                    yield task(
                            "huge timeoutMs",
                            spliced(task, "timeoutMs", "1" + "0".repeat(19 + r.nextInt(5))),
                            Expect.invalid("timeoutMs", "timeoutMs"));
                }
            };
        }

        Hostile deepNesting(SplittableRandom r) {
            int[] depths = {10, 500, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 5_000, 20_000};
            int depth = depths[r.nextInt(depths.length)];
            boolean objects = r.nextBoolean();
            String value = objects
                    ? "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1)
                    : "[".repeat(depth) + "]".repeat(depth);
            ObjectNode task = validTask(r, false);
            task.remove("payload");
            // the task object is one level more
            return task(
                    "payload nested " + depth + " deep",
                    spliced(task, "payload", value),
                    depth + 1 <= MAX_DEPTH ? Expect.accepted() : Expect.invalid("", "depth"));
        }

        Hostile invalidUtf8(SplittableRandom r) {
            byte[][] bad = {
                {(byte) 0xC3, 0x28},
                {(byte) 0xA0, (byte) 0xA1},
                {(byte) 0xE2, 0x28, (byte) 0xA1},
                {(byte) 0xF0, 0x28, (byte) 0x8C, 0x28},
                {(byte) 0xC0, (byte) 0x80},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                {(byte) 0xFF},
                {(byte) 0xE2, (byte) 0x82},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}
            };
            String marker = "@@BAD@@";
            ObjectNode task = validTask(r, false);
            switch (r.nextInt(4)) {
                case 0 -> task.put("type", "ty" + marker + "pe");
                case 1 -> task.put("key", marker);
                case 2 -> task.putObject("payload").put("text", "a" + marker + "b");
                default -> task.putObject("payload").put("na" + marker + "me", 1);
            }
            byte[] json = text(task);
            byte[] sequence = bad[r.nextInt(bad.length)];
            return task(
                    "invalid UTF-8",
                    replace(json, marker.getBytes(StandardCharsets.US_ASCII), sequence),
                    Expect.invalid("", "UTF-8"));
        }

        Hostile duplicateField(SplittableRandom r) {
            ObjectNode task = validTask(r, false);
            if (r.nextBoolean()) {
                String[] fields = {"type", "priority", "maxAttempts", "payload"};
                String field = fields[r.nextInt(fields.length)];
                String[] again = {"\"cpu\"", "\"low\"", "5", "{\"x\":1}"};
                if (field.equals("priority")) {
                    task.put("priority", "high");
                } else if (field.equals("maxAttempts")) {
                    task.put("maxAttempts", 2);
                }
                String value = again[java.util.Arrays.asList(fields).indexOf(field)];
                return task(
                        "duplicate " + field, appended(task, field, value), Expect.invalid(field, "duplicate field"));
            }
            task.remove("payload");
            String inner = "{\"list\":[1,{\"deep\":{\"a\":1,\"b\":2,\"a\":3}}]}";
            return task(
                    "duplicate field in payload", spliced(task, "payload", inner), Expect.invalid("payload", "twice"));
        }

        Hostile unknownField(SplittableRandom r) {
            String[] names = {
                "prio", "Type", "payLoad", " ", "ünïcode", "a\"quote", "\\u0074ype", "__proto__", "constructor"
            };
            String name = names[r.nextInt(names.length)];
            ObjectNode task = validTask(r, false);
            task.put(name, r.nextInt(10));
            return task("unknown field", text(task), Expect.invalid(name, "unknown field"));
        }

        Hostile valid(SplittableRandom r) {
            return task("valid task", text(validTask(r, true)), Expect.accepted());
        }

        // ---- batches

        Hostile batch(SplittableRandom r) {
            int kind = r.nextInt(10);
            if (kind == 0) {
                String[] bodies = {
                    "[", "{\"type\":\"echo\"}", "[]", "7", "\"x\"", "null", "[{\"type\":\"echo\"}] x", "[1,]"
                };
                String body = bodies[r.nextInt(bodies.length)];
                return post("batch not an array", "/v1/tasks/batch", JSON, utf8(body), Expect.invalid("", null));
            }
            boolean ndjson = kind >= 6;
            int count = 1 + r.nextInt(r.nextInt(8) == 0 ? 70 : 20);
            List<String> texts = new ArrayList<>();
            List<Expect> items = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Item item = item(r, ndjson);
                texts.add(item.text());
                items.add(item.expect());
            }
            String body;
            String type;
            if (ndjson) {
                StringBuilder s = new StringBuilder();
                for (String t : texts) {
                    if (r.nextInt(5) == 0) {
                        s.append(r.nextBoolean() ? "\n" : "  \t\r\n");
                    }
                    s.append(t).append(r.nextBoolean() ? "\r\n" : "\n");
                }
                body = s.toString();
                String[] types = {
                    "application/x-ndjson",
                    "application/ndjson",
                    "application/jsonl",
                    "Application/X-NDJSON; charset=utf-8"
                };
                type = types[r.nextInt(types.length)];
            } else {
                body = String.join(r.nextBoolean() ? "," : " ,\n ", texts);
                body = "[" + body + "]";
                type = JSON;
            }
            byte[] bytes = utf8(body);
            Expect expect;
            if (bytes.length > 262_144) {
                expect = Expect.error(413, "too_large", "api.batch.max.body.bytes");
            } else if (count > MAX_BATCH) {
                expect = Expect.error(413, "too_large", "api.batch.max");
            } else {
                expect = Expect.ANY;
            }
            return new Hostile(
                    index,
                    ndjson ? "NDJSON batch" : "JSON batch",
                    Transport.CLIENT,
                    "POST",
                    "/v1/tasks/batch",
                    type,
                    bytes,
                    List.of(),
                    null,
                    expect,
                    count > MAX_BATCH ? null : items);
        }

        private record Item(String text, Expect expect) {}

        /** One item of a batch: valid, a field of the wrong type, a duplicate, not an object (one line of NDJSON each). */
        private Item item(SplittableRandom r, boolean ndjson) {
            return switch (r.nextInt(6)) {
                case 0, 1, 2 -> new Item(string(text(validTask(r, true))), Expect.accepted());
                case 3 -> {
                    ObjectNode task = validTask(r, false);
                    task.remove("maxAttempts");
                    yield new Item(
                            string(spliced(task, "maxAttempts", "\"many\"")),
                            Expect.invalid("maxAttempts", "maxAttempts"));
                }
                case 4 -> {
                    ObjectNode task = validTask(r, false);
                    yield new Item(
                            string(appended(task, "type", "\"other\"")), Expect.invalid("type", "duplicate field"));
                }
                default -> {
                    String[] others = ndjson
                            ? new String[] {"7", "\"task\"", "[1,2]", "null", "{\"type\":", "nonsense"}
                            : new String[] {"7", "\"task\"", "[1,2]", "null"};
                    String other = others[r.nextInt(others.length)];
                    yield new Item(other, Expect.invalid("", null));
                }
            };
        }

        // ---- task ids

        Hostile taskId(SplittableRandom r) {
            boolean delete = r.nextBoolean();
            String method = delete ? "DELETE" : "GET";
            int kind = r.nextInt(7);
            if (kind == 0) {
                // escapes a client library will not send
                String[] paths = {
                    "/v1/tasks/%ZZ",
                    "/v1/tasks/abc%",
                    "/v1/tasks/%G0x",
                    "/v1/tasks/%%",
                    "/v1/tasks/a%2",
                    "/v1/tasks/%C0%AF"
                };
                String path = paths[r.nextInt(paths.length)];
                byte[] raw = (method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1);
                return new Hostile(
                        index,
                        "id with a bad escape",
                        Transport.RAW,
                        method,
                        path,
                        null,
                        null,
                        List.of(),
                        raw,
                        Expect.ANY,
                        null);
            }
            String id = switch (kind) {
                case 1 -> randomText(r, 1 + r.nextInt(40), true);
                case 2 -> randomText(r, 250 + r.nextInt(12), false);
                case 3 -> randomText(r, 257 + r.nextInt(2_000), true);
                case 4 -> new String(new char[] {(char) r.nextInt(32)}) + "id";
                case 5 -> r.nextBoolean() ? "../../health/live" : "a/b";
                default -> "id-" + r.nextInt(1_000);
            };
            String path =
                    "/v1/tasks/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
            if (kind == 5) {
                path = "/v1/tasks/" + id.replace("/", r.nextBoolean() ? "%2F" : "/");
            }
            Expect expect;
            if (id.length() > 256 && kind != 5) {
                expect = Expect.invalid("id", "256 characters");
            } else {
                expect = Expect.ANY;
            }
            return new Hostile(
                    index,
                    method + " hostile id",
                    Transport.CLIENT,
                    method,
                    path,
                    null,
                    null,
                    List.of(),
                    null,
                    expect,
                    null);
        }

        // ---- content types, methods, paths

        Hostile contentTypeOrMethod(SplittableRandom r) {
            byte[] body = text(validTask(r, true));
            switch (r.nextInt(4)) {
                case 0 -> {
                    String[] types = {
                        "text/plain",
                        "application/xml",
                        "multipart/form-data; boundary=x",
                        "application/x-www-form-urlencoded",
                        "application/json, text/plain",
                        "json",
                        "*/*",
                        "application/jsonp"
                    };
                    String type = types[r.nextInt(types.length)];
                    String path = r.nextBoolean() ? "/v1/tasks" : "/v1/tasks/batch";
                    return post(
                            "content type " + type,
                            path,
                            type,
                            body,
                            Expect.error(415, "unsupported_media_type", "content-type"));
                }
                case 1 -> {
                    String[] types = {
                        "APPLICATION/JSON",
                        "application/json; charset=utf-8",
                        "application/json;charset=UTF-8",
                        " application/json "
                    };
                    return post(
                            "content type variant",
                            "/v1/tasks",
                            types[r.nextInt(types.length)],
                            body,
                            Expect.accepted());
                }
                case 2 -> {
                    String[] methods = {"PUT", "PATCH", "OPTIONS", "TRACE", "FOO", "post", "Get"};
                    String[] paths = {"/v1/tasks", "/v1/tasks/batch", "/health/live", "/metrics", "/openapi.yaml"};
                    String method = methods[r.nextInt(methods.length)];
                    String path = paths[r.nextInt(paths.length)];
                    return new Hostile(
                            index,
                            method + " on " + path,
                            Transport.CLIENT,
                            method,
                            path,
                            JSON,
                            body,
                            List.of(),
                            null,
                            Expect.error(405, "method_not_allowed", method),
                            null);
                }
                default -> {
                    String[] paths = {
                        "/v2/tasks",
                        "/v1/task",
                        "/v1/tasks/a/b/c",
                        "/" + randomText(r, 30, true).replaceAll("[^a-z]", "x"),
                        "/v1/tasks?x=" + "q".repeat(r.nextInt(3_000)),
                        "/V1/TASKS",
                        "/.%2e/.%2e/etc/passwd"
                    };
                    String path = paths[r.nextInt(paths.length)];
                    String method = r.nextBoolean() ? "GET" : "POST";
                    return new Hostile(
                            index,
                            "unknown path",
                            Transport.CLIENT,
                            method,
                            path,
                            JSON,
                            method.equals("POST") ? body : null,
                            List.of(),
                            null,
                            Expect.ANY,
                            null);
                }
            }
        }

        // ---- raw HTTP

        Hostile raw(SplittableRandom r) {
            String task = string(text(validTask(r, false)));
            String post =
                    "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n";
            String[][] cases = {
                {
                    "request line over 4096 bytes",
                    "GET /v1/tasks/" + "x".repeat(4_100 + r.nextInt(2_000)) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    "414"
                },
                {
                    "one header over 8192 bytes",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(8_200 + r.nextInt(4_000))
                            + "\r\n\r\n",
                    "431"
                },
                {
                    "headers over 8192 bytes in all",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\n"
                            + "X-Many: 0123456789abcdef0123456789abcdef\r\n".repeat(300) + "\r\n",
                    "431"
                },
                {
                    "header without a colon",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n",
                    "4xx"
                },
                {
                    "header name with a space",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nBad Name: v\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {
                    "folded header",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n  b\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {
                    "NUL in a header",
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {"bare LF line ends", "GET /health/live HTTP/1.1\nHost: x\nConnection: close\n\n", "any"},
                {
                    "two different Content-Lengths",
                    post + "Content-Length: " + task.length() + "\r\nContent-Length: 3\r\n\r\n" + task,
                    "4xx"
                },
                {
                    "Content-Length and chunked",
                    post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + Integer.toHexString(task.length()) + "\r\n" + task + "\r\n0\r\n\r\n",
                    "any"
                },
                {"bad chunk size", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + task + "\r\n0\r\n\r\n", "4xx"},
                {"negative Content-Length", post + "Content-Length: -5\r\n\r\n" + task, "4xx"},
                {"Content-Length not a number", post + "Content-Length: 12abc\r\n\r\n" + task, "4xx"},
                {
                    "body shorter than its Content-Length",
                    post + "Content-Length: " + (task.length() + 10) + "\r\n\r\n" + task,
                    "408"
                },
                {"unknown HTTP version", "GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n", "400"},
                {"HTTP/2 preface in cleartext", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "400"},
                {"HTTP/1.0", "GET /health/live HTTP/1.0\r\n\r\n", "any"},
                {
                    "absolute URI",
                    "GET http://localhost/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "4xx"},
                {"CONNECT", "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\nConnection: close\r\n\r\n", "4xx"
                },
                {
                    "TLS handshake in cleartext",
                    "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003" + "r".repeat(32) + "\r\n\r\n",
                    "400"
                },
                {"binary garbage", randomBinary(r, 1 + r.nextInt(200)) + "\r\n\r\n", "any or none"},
                {
                    "blank lines before the request",
                    "\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {"space in the path", "GET /v1/tasks/a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "4xx"},
                {"no Host header", "GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n", "any"},
                {
                    "two Host headers",
                    "GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
                    "any"
                },
                {
                    "unknown Transfer-Encoding",
                    post + "Transfer-Encoding: gzip, chunked\r\n\r\n" + Integer.toHexString(task.length()) + "\r\n"
                            + task + "\r\n0\r\n\r\n",
                    "any"
                },
                {
                    "Expect 100-continue over the body limit",
                    "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n",
                    "413"
                },
                {"request line only", "GET /health/live HTTP/1.1\r\n\r\n", "any"},
                {
                    "method with control characters",
                    "G\u0001T /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "4xx"
                },
            };
            String[] c = cases[r.nextInt(cases.length)];
            Expect expect = switch (c[2]) {
                case "414" -> Expect.error(414, "uri_too_long", "4096 bytes");
                case "431" -> Expect.error(431, "headers_too_large", "api.max.header.bytes");
                case "408" -> Expect.error(408, "request_timeout", "api.body.timeout.ms");
                case "413" -> Expect.error(413, "too_large", "api.max.body.bytes");
                case "400" -> Expect.error(400, "bad_request", null);
                case "4xx" -> Expect.CLIENT_ERROR;
                case "any or none" -> Expect.ANY_OR_NONE;
                default -> Expect.ANY;
            };
            String method = c[1].substring(0, Math.max(0, c[1].indexOf(' ')));
            return new Hostile(
                    index,
                    c[0],
                    Transport.RAW,
                    method,
                    null,
                    null,
                    null,
                    List.of(),
                    c[1].getBytes(StandardCharsets.ISO_8859_1),
                    expect,
                    null);
        }
    }

    // ---- valid tasks and helpers

    /** A valid submission; {@code rich} adds every optional field at random, with odd but valid values. */
    static ObjectNode validTask(SplittableRandom r, boolean rich) {
        ObjectNode task = NODES.objectNode();
        String[] types = {"echo", "sleep", "cpu", "ünïcode-type", "a.b/c", "x".repeat(200)};
        task.put("type", types[r.nextInt(types.length)]);
        task.set("payload", payload(r, 3));
        if (!rich) {
            return task;
        }
        if (r.nextBoolean()) {
            String[] priorities = {"high", "normal", "low", "HIGH", "Low"};
            task.put("priority", priorities[r.nextInt(priorities.length)]);
        }
        if (r.nextBoolean()) {
            task.put("key", randomText(r, 1 + r.nextInt(30), true));
        }
        if (r.nextInt(4) == 0) {
            task.put("idempotencyKey", "key-" + r.nextInt(20));
        }
        if (r.nextBoolean()) {
            task.put("maxAttempts", 1 + r.nextInt(r.nextBoolean() ? 5 : Integer.MAX_VALUE));
        }
        if (r.nextBoolean()) {
            task.put("timeoutMs", r.nextLong(0, Long.MAX_VALUE));
        }
        switch (r.nextInt(4)) {
            case 0 -> task.put("delayMs", r.nextLong(0, 10_000_000_000L));
            case 1 -> task.put("runAt", r.nextBoolean() ? "9999-12-31T23:59:59.999999999Z" : "0001-01-01T00:00:00Z");
            case 2 -> task.put("runAt", r.nextLong(0, 253_402_300_799_999L));
            default -> {}
        }
        return task;
    }

    private static JsonNode payload(SplittableRandom r, int depth) {
        return switch (r.nextInt(depth > 0 ? 9 : 7)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(r.nextBoolean());
            case 2 -> NODES.numberNode(r.nextLong());
            case 3 -> NODES.numberNode(new BigDecimal("1e" + (r.nextInt(800) - 400)));
            case 4 -> NODES.textNode(randomText(r, r.nextInt(20), false));
            case 5 -> NODES.textNode("\u0000\u001f\"\\/\u2028\u2029\uD83D\uDE00");
            case 6 -> NODES.numberNode(r.nextDouble());
            case 7 -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    array.add(payload(r, depth - 1));
                }
                yield array;
            }
            default -> {
                ObjectNode object = NODES.objectNode();
                for (int i = r.nextInt(4); i > 0; i--) {
                    object.set(randomText(r, 1 + r.nextInt(8), true), payload(r, depth - 1));
                }
                yield object;
            }
        };
    }

    /** Random text: letters, or any characters of the BMP but surrogates (valid UTF-16, so valid UTF-8). */
    static String randomText(SplittableRandom r, int length, boolean plain) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            if (plain || r.nextBoolean()) {
                s.append((char) ('a' + r.nextInt(26)));
            } else {
                char c;
                do {
                    c = (char) (1 + r.nextInt(0xFFFD));
                } while (Character.isSurrogate(c));
                s.append(c);
            }
        }
        return s.toString();
    }

    private static String randomBinary(SplittableRandom r, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) r.nextInt(256));
        }
        return s.toString();
    }

    /** {@code task}'s JSON with {@code field} added last as the raw JSON {@code value}. */
    static byte[] spliced(ObjectNode task, String field, String value) {
        String json = string(text(task));
        String name = string(text(NODES.textNode(field)));
        return utf8(json.substring(0, json.length() - 1) + (task.isEmpty() ? "" : ",") + name + ":" + value + "}");
    }

    /** {@code task}'s JSON with {@code field} given once more, last, as the raw JSON {@code value}. */
    static byte[] appended(ObjectNode task, String field, String value) {
        return spliced(task, field, value);
    }

    static byte[] text(JsonNode node) {
        try {
            return Json.mapper().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String string(byte[] utf8) {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] replace(byte[] in, byte[] marker, byte[] with) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < in.length; ) {
            if (i + marker.length <= in.length
                    && java.util.Arrays.equals(in, i, i + marker.length, marker, 0, marker.length)) {
                out.writeBytes(with);
                i += marker.length;
            } else {
                out.write(in[i++]);
            }
        }
        return out.toByteArray();
    }
}
