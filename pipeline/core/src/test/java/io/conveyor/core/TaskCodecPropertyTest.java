package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.conveyor.core.internal.Instants;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class TaskCodecPropertyTest {
    private final TaskCodec codec = new TaskCodec();
    private final RecordOrigin origin = new RecordOrigin("conveyor.tasks.low", 3, 42, Instant.EPOCH, Priority.LOW);

    @Property(tries = 2000)
    void everyTaskSurvivesTheWire(@ForAll("tasks") Task task) throws Exception {
        Task back = codec.decode(codec.encode(task), origin);
        assertThat(back).isEqualTo(task);
        // the streamed record and the documented tree (also what the API answers) are one format
        assertThat(reparsed(codec.encode(task))).isEqualTo(reparsed(codec.toJson(task)));
    }

    @Property(tries = 500)
    void everyResultSurvivesTheWire(@ForAll("results") TaskResult result) throws Exception {
        assertThat(codec.decodeResult(codec.encode(result))).isEqualTo(result);
        // kept as bytes, the output goes on unchanged, and so does everything else
        TaskResult keeping = codec.decodeResultKeepingOutput(codec.encode(result));
        assertThat(reparsed(codec.encode(keeping))).isEqualTo(reparsed(codec.encode(result)));
        assertThat(keeping.result() == null)
                .isEqualTo(result.result() == null || result.result().isNull());
        assertThat(reparsed(codec.encode(result))).isEqualTo(reparsed(codec.toJson(result)));
    }

    /**
     * The fast result reader ({@link io.conveyor.core.internal.ResultReader}) and the general one
     * agree on every record, plain or not: a result with one field given an odd value, dropped, or
     * joined by an unknown one, or cut short, is read the same way (the output compared parsed), or
     * refused by both with the same message; and every plain record goes the fast way.
     */
    @Property(tries = 2000)
    void theFastResultReaderAgreesWithTheGeneralOne(
            @ForAll("results") TaskResult result,
            @ForAll("resultFields") String field,
            @ForAll("oddValues") String odd,
            @ForAll("edits") int edit)
            throws Exception {
        ObjectNode tree = (ObjectNode) reparsed(codec.encode(result));
        switch (edit) {
            case 0 -> {} // as written
            case 1 -> tree.set(field, Json.mapper().readTree(odd));
            case 2 -> tree.remove(field);
            default -> tree.set("addedLater", Json.mapper().readTree(odd));
        }
        byte[] bytes = Json.mapper().writeValueAsBytes(tree);
        if (edit == 4) {
            bytes = java.util.Arrays.copyOf(bytes, bytes.length / 2);
        }
        TaskResult fast = assertBothWaysAgree(bytes);
        if (edit == 0) {
            assertThat(fast).as("a plain record goes the fast way").isNotNull();
        }
    }

    /**
     * The same on raw JSON text, which a tree cannot produce: a snippet spliced in as the first or
     * the last field of an encoded result (a duplicate field, a number in another notation, an
     * escaped name, a value the general way refuses, whitespace).
     */
    @Property(tries = 2000)
    void theFastResultReaderAgreesWithTheGeneralOneOnRawText(
            @ForAll("results") TaskResult result, @ForAll("rawSnippets") String snippet, @ForAll boolean first)
            throws Exception {
        String json = new String(codec.encode(result), java.nio.charset.StandardCharsets.UTF_8);
        String spliced = first
                ? "{" + snippet + "," + json.substring(1)
                : json.substring(0, json.length() - 1) + "," + snippet + "}";
        assertBothWaysAgree(spliced.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The fast way's answer (null when it gave up), after checking it against the general way's. */
    private TaskResult assertBothWaysAgree(byte[] bytes) throws Exception {
        TaskResult fast = new io.conveyor.core.internal.ResultReader(Json.mapper()).readPlain(bytes);
        String general;
        try {
            TaskResult read = codec.decodeResult(bytes);
            if (fast != null) {
                assertThat(TaskCodec.withParsedOutput(fast)).isEqualTo(read);
            }
            assertThat(TaskCodec.withParsedOutput(codec.decodeResultKeepingOutput(bytes)))
                    .isEqualTo(read);
            general = null;
        } catch (MalformedTaskException e) {
            general = e.getMessage();
        }
        if (general != null) {
            assertThat(fast).as("refused the general way: " + general).isNull();
            // refused by the keeping reader too (its message may show a number as written: 1.0, not 1)
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> codec.decodeResultKeepingOutput(bytes))
                    .isInstanceOf(MalformedTaskException.class);
        }
        return fast;
    }

    /**
     * Whatever a record holds, reading it gives a task that goes back onto the wire as it is, or a
     * {@link MalformedTaskException} saying why not: never another exception, which would escape
     * the worker's and the rollups' handling of bad records (an overflow, a date out of range).
     * Records are encoded tasks with one field given a hostile value, or cut short.
     */
    @Property(tries = 1000)
    void anyTaskRecordIsReadOrRefusedWithAReason(
            @ForAll("tasks") Task task,
            @ForAll("taskFields") String field,
            @ForAll("hostileValues") String hostile,
            @ForAll("edits") int edit)
            throws Exception {
        byte[] bytes = edited(codec.encode(task), field, hostile, edit);
        Task read;
        try {
            read = codec.decode(bytes, origin);
        } catch (MalformedTaskException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(codec.decode(codec.encode(read), origin)).isEqualTo(read);
        assertThat(Instants.onTheWire(read.submittedAt()))
                .as("submittedAt on the wire")
                .isTrue();
        assertThat(read.runAt() == null || Instants.onTheWire(read.runAt()))
                .as("runAt on the wire")
                .isTrue();
        // the API reads the same text with the same outcome, bar the fields only records carry
        try {
            codec.readSubmission(bytes, 0, bytes.length);
        } catch (MalformedTaskException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    /** The same for results, read the rollups' way (the output kept as bytes) and the plain way. */
    @Property(tries = 1000)
    void anyResultRecordIsReadOrRefusedWithAReason(
            @ForAll("results") TaskResult result,
            @ForAll("resultFields") String field,
            @ForAll("hostileValues") String hostile,
            @ForAll("edits") int edit)
            throws Exception {
        byte[] bytes = edited(codec.encode(result), field, hostile, edit);
        for (boolean keeping : new boolean[] {true, false}) {
            TaskResult read;
            try {
                read = keeping ? codec.decodeResultKeepingOutput(bytes) : codec.decodeResult(bytes);
            } catch (MalformedTaskException e) {
                assertThat(e.getMessage()).isNotBlank();
                continue;
            }
            assertThat(Instants.onTheWire(read.updatedAt()))
                    .as("updatedAt on the wire")
                    .isTrue();
            assertThat(TaskCodec.withParsedOutput(codec.decodeResultKeepingOutput(codec.encode(read))))
                    .isEqualTo(TaskCodec.withParsedOutput(read));
        }
    }

    /** {@code json} with {@code field} set to {@code hostile} (as JSON text), removed, or cut short. */
    private static byte[] edited(byte[] json, String field, String hostile, int edit) throws Exception {
        ObjectNode tree = (ObjectNode) reparsed(json);
        return switch (edit) {
            case 0, 1 -> utf8(spliced(tree, field, hostile));
            case 2 -> {
                tree.remove(field);
                yield Json.mapper().writeValueAsBytes(tree);
            }
            case 3 -> utf8(spliced(tree, "addedLater", hostile));
            default -> java.util.Arrays.copyOf(json, json.length / 2);
        };
    }

    /** The tree's JSON text with {@code field} (replaced if there) last, its value the raw {@code text}. */
    private static String spliced(ObjectNode tree, String field, String text) throws Exception {
        tree.remove(field);
        String json = Json.mapper().writeValueAsString(tree);
        return json.substring(0, json.length() - 1) + (tree.isEmpty() ? "" : ",")
                + Json.mapper().writeValueAsString(field) + ":" + text + "}";
    }

    @Provide
    Arbitrary<String> taskFields() {
        return Arbitraries.of(
                "id",
                "type",
                "payload",
                "key",
                "priority",
                "idempotencyKey",
                "maxAttempts",
                "timeoutMs",
                "runAt",
                "delayMs",
                "submittedAt",
                "attempt");
    }

    @Provide
    Arbitrary<String> hostileValues() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "9223372036854775807",
                        "-9223372036854775808",
                        "9223372036854775808",
                        "2147483648",
                        "-1",
                        "0",
                        "1e400",
                        "-1e-400",
                        "1" + "0".repeat(999),
                        "1" + "0".repeat(1500),
                        "\"+1000000000-12-31T23:59:59.999999999Z\"",
                        "\"-1000000000-01-01T00:00:00Z\"",
                        "\"+10000-01-01T00:00:00Z\"",
                        "\"9999-12-31T23:59:59.999999999Z\"",
                        "\"0000-01-01T00:00:00Z\"",
                        "\"2026-02-30T00:00:00Z\"",
                        "\"\\ud800\"",
                        "\"\\u0000\"",
                        "\"\"",
                        "\"HIGH\"",
                        "null",
                        "true",
                        "[]",
                        "{}",
                        "[".repeat(2000) + "]".repeat(2000),
                        "{\"a\":".repeat(1500) + "1" + "}".repeat(1500),
                        "{\"a\":1,\"a\":2}",
                        "\"" + "x".repeat(100_000) + "\""),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.strings().ofMaxLength(30).map(t -> {
                    try {
                        return Json.mapper().writeValueAsString(t);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
    }

    @Provide
    Arbitrary<String> rawSnippets() {
        return Arbitraries.of(
                "\"x\":1e2147483648",
                "\"x\":{\"n\":1e2147483648}",
                "\"x\":[1.5e3, -0, {\"y\":null}]",
                "\"x\":\"\\u00e9t\\u00e9\"",
                "\"\\u0069d\":\"other\"",
                "\"id\":\"\\u00fcber\"",
                "\"type\" : \"spaced\" ",
                "\"attempt\":1e2",
                "\"attempt\":-0",
                "\"attempt\":1.0",
                "\"attempt\":2147483648",
                "\"updatedAt\":\"bad\"",
                "\"updatedAt\":1E12",
                "\"startedAt\":-0",
                "\"result\":null",
                "\"result\":{\"a\":[1,2,{\"b\":\"c\"}]}",
                "\"result\":1e2147483648",
                "\"error\":{\"kind\":\"k\",\"message\":\"m\",\"extra\":1e2147483648}",
                "\"error\":{\"message\":\"no kind\"}",
                "\"status\":\"SUCCEEDED\"",
                "\"status\":\"succeeded\"");
    }

    @Provide
    Arbitrary<String> resultFields() {
        return Arbitraries.of(
                "id",
                "type",
                "status",
                "attempt",
                "workerId",
                "submittedAt",
                "startedAt",
                "finishedAt",
                "updatedAt",
                "result",
                "error");
    }

    @Provide
    Arbitrary<String> oddValues() {
        return Arbitraries.of(
                "null",
                "\"\"",
                "\"  \"",
                "\"x\"",
                "0",
                "-1",
                "7",
                "1.5",
                "99999999999",
                "123456789012345678901234567890",
                "true",
                "{}",
                "[]",
                "{\"kind\":\"k\"}",
                "{\"message\":\"m\"}",
                "\"RUNNING\"",
                "\"DONE\"",
                "\"2026-11-23T08:41:10.123Z\"",
                "\"2026-13-01T00:00:00Z\"",
                "\"yesterday\"",
                "1700000000000");
    }

    @Provide
    Arbitrary<Integer> edits() {
        return Arbitraries.integers().between(0, 4);
    }

    /**
     * The streaming submission reader keeps the payload as its raw bytes: whatever the payload,
     * the whitespace around it and where it stands among the fields, the record carries the payload
     * verbatim and otherwise is the tree reader's, alone, as an NDJSON line at an offset, and in an
     * array.
     */
    @Property(tries = 1000)
    void submissionsReadFromBytesWriteTheRecordsOfTheTreeReader(
            @ForAll("payloadTexts") String payload,
            @ForAll("spaces") String before,
            @ForAll("spaces") String after,
            @ForAll boolean payloadFirst)
            throws Exception {
        String rest = "\"type\":\"echo\",\"maxAttempts\":3";
        String body = "{"
                + (payloadFirst
                        ? "\"payload\":" + before + payload + after + "," + rest
                        : rest + ",\"payload\":" + before + payload + after)
                + "}";
        TaskCodec fixed = new TaskCodec(java.time.Clock.fixed(Instant.EPOCH, java.time.ZoneOffset.UTC));
        JsonNode expected = recordWithoutIdAndPayload(fixed, fixed.readSubmission(Json.parse(utf8(body))));
        String verbatim = "\"payload\":" + payload + ",";

        List<Task> read = new ArrayList<>();
        read.add(fixed.readSubmission(utf8(body), 0, utf8(body).length));
        byte[] padded = utf8("{\"type\":\"x\"}\n" + body + "\n");
        int offset = utf8("{\"type\":\"x\"}\n").length;
        read.add(fixed.readSubmission(padded, offset, utf8(body).length));
        var array = fixed.readSubmissionArray(utf8("[ " + body + " ,\n" + body + "]"), 10)
                .orElseThrow();
        assertThat(array.total()).isEqualTo(2);
        array.items().forEach(item -> read.add(item.task()));
        for (Task task : read) {
            assertThat(new String(fixed.encode(task), java.nio.charset.StandardCharsets.UTF_8))
                    .as("the payload goes on as it came")
                    .contains(verbatim);
            assertThat(recordWithoutIdAndPayload(fixed, task)).isEqualTo(expected);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static JsonNode recordWithoutIdAndPayload(TaskCodec codec, Task task) throws Exception {
        ObjectNode record = (ObjectNode) Json.mapper().readTree(codec.encode(task));
        record.remove("id");
        record.remove("payload");
        return record;
    }

    @Provide
    Arbitrary<String> spaces() {
        return Arbitraries.strings().withChars(' ', '\t', '\n', '\r').ofMaxLength(3);
    }

    @Provide
    Arbitrary<String> payloadTexts() {
        Arbitrary<String> numbers = Arbitraries.of("0", "-1", "42", "3.25", "1e400", "-0.0", "12345678901234567890123");
        return Arbitraries.oneOf(
                payloads().map(JsonNode::toString),
                numbers,
                Arbitraries.of(
                        "\"\"",
                        "\"ünï \\\"quoted\\\" \\u00e9\"",
                        "true",
                        "false",
                        "null",
                        "[]",
                        "{}",
                        "[1, [2, {\"a\": [ ]}], \"x\"]",
                        "{ \"nested\" : { \"deep\" : [ 1 , 2 ] } }"));
    }

    private static com.fasterxml.jackson.databind.JsonNode reparsed(Object json) throws Exception {
        byte[] bytes = json instanceof byte[] b ? b : Json.mapper().writeValueAsBytes(json);
        return Json.mapper().readTree(bytes);
    }

    @Provide
    Arbitrary<Task> tasks() {
        Arbitrary<String> ids =
                Arbitraries.strings().ofMinLength(1).ofMaxLength(40).filter(s -> !s.isBlank());
        Arbitrary<String> optional = ids.injectNull(0.3);
        Arbitrary<Instant> instants = Arbitraries.longs()
                .between(0, 4_102_444_800_000L)
                .map(Instant::ofEpochMilli)
                .injectNull(0.3);
        return Combinators.combine(
                        ids,
                        Arbitraries.of("echo", "sleep", "cpu", "fail", "ünïcode-type"),
                        payloads(),
                        optional,
                        Arbitraries.of(Priority.class),
                        optional,
                        Arbitraries.integers().between(1, 100),
                        Arbitraries.longs().between(0, 86_400_000))
                .flatAs((id, type, payload, key, priority, idem, maxAttempts, timeout) -> Combinators.combine(
                                instants,
                                instants.filter(i -> i != null),
                                Arbitraries.integers().between(1, 100))
                        .as((runAt, submittedAt, attempt) -> new Task(
                                id,
                                type,
                                payload,
                                key,
                                priority,
                                idem,
                                maxAttempts,
                                timeout,
                                runAt,
                                submittedAt,
                                attempt)));
    }

    @Provide
    Arbitrary<TaskResult> results() {
        Arbitrary<Instant> instants = Arbitraries.longs()
                .between(0, 4_102_444_800_000L)
                .map(Instant::ofEpochMilli)
                .injectNull(0.2);
        Arbitrary<TaskError> errors = Combinators.combine(
                        Arbitraries.of("java.lang.IllegalStateException", "timeout"),
                        Arbitraries.strings().ofMaxLength(30))
                .as(TaskError::new)
                .injectNull(0.5);
        return Combinators.combine(
                        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20),
                        Arbitraries.of(TaskStatus.class),
                        Arbitraries.integers().between(0, 10),
                        Arbitraries.strings()
                                .alpha()
                                .ofMinLength(1)
                                .ofMaxLength(10)
                                .injectNull(0.3),
                        instants,
                        instants,
                        payloads().injectNull(0.5),
                        errors)
                .as((id, status, attempt, worker, started, finished, result, error) -> new TaskResult(
                        id,
                        "echo",
                        status,
                        attempt,
                        worker,
                        started,
                        started,
                        finished,
                        Instant.ofEpochMilli(1_700_000_000_000L),
                        result,
                        error));
    }

    private Arbitrary<JsonNode> payloads() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Arbitrary<JsonNode> scalars = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(20).map(f::textNode),
                Arbitraries.longs().map(f::numberNode),
                Arbitraries.of(true, false).map(f::booleanNode),
                Arbitraries.just(f.nullNode()));
        return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8), scalars)
                .ofMaxSize(5)
                .map(m -> {
                    ObjectNode o = f.objectNode();
                    m.forEach(o::set);
                    return (JsonNode) o;
                })
                .injectNull(0.1)
                .map(n -> n == null ? f.nullNode() : n)
                // as a reader sees it: Jackson picks the narrowest number node on parse
                .map(TaskCodecPropertyTest::reparse);
    }

    private static JsonNode reparse(JsonNode node) {
        try {
            return Json.mapper().readTree(node.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
