package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TaskCodecTest {
    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private final TaskCodec codec = new TaskCodec(Clock.fixed(NOW, ZoneOffset.UTC));
    private final RecordOrigin origin =
            new RecordOrigin("conveyor.tasks.normal", 2, 17, Instant.parse("2026-11-23T09:00:00Z"), Priority.NORMAL);

    @Test
    void aBareRecordFromAnyClientGetsIdTimestampsAndDefaults() throws Exception {
        Task task = codec.decode(bytes("{\"type\":\"echo\",\"payload\":{\"via\":\"kcat\"}}"), origin);

        assertThat(task.id()).isEqualTo("conveyor.tasks.normal-2-17");
        assertThat(task.submittedAt()).isEqualTo(origin.timestamp());
        assertThat(task.priority()).isEqualTo(Priority.NORMAL);
        assertThat(task.attempt()).isEqualTo(1);
        assertThat(task.maxAttempts()).isEqualTo(Task.DEFAULT_MAX_ATTEMPTS);
        assertThat(task.payload().get("via").asText()).isEqualTo("kcat");
    }

    @Test
    void aSubmissionGetsAFreshIdAndDelayBecomesRunAt() throws Exception {
        JsonNode body = Json.parse(bytes("{\"type\":\"sleep\",\"payload\":{\"ms\":5},\"delayMs\":1500,"
                + "\"priority\":\"HIGH\",\"key\":\"k\",\"maxAttempts\":5,\"timeoutMs\":100}"));
        Task task = codec.readSubmission(body);

        assertThat(task.id()).hasSize(36);
        assertThat(task.submittedAt()).isEqualTo(NOW);
        assertThat(task.runAt()).isEqualTo(NOW.plusMillis(1500));
        assertThat(task.priority()).isEqualTo(Priority.HIGH);
        assertThat(task.key()).isEqualTo("k");
        assertThat(task.maxAttempts()).isEqualTo(5);
        assertThat(task.timeoutMs()).isEqualTo(100);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{}                                          | type        | type is required",
                "{\"type\":7}                               | type        | type must be a string, but was number 7",
                "{\"type\":\" \"}                           | type        | type must not be blank",
                "{\"type\":\"e\",\"priority\":\"urgent\"}   | priority    | priority must be one of high, normal, low, but was 'urgent'",
                "{\"type\":\"e\",\"maxAttempts\":0}         | maxAttempts | maxAttempts must be >= 1, but was 0",
                "{\"type\":\"e\",\"maxAttempts\":1.5}       | maxAttempts | maxAttempts must be a whole number, but was number 1.5",
                "{\"type\":\"e\",\"timeoutMs\":-1}          | timeoutMs   | timeoutMs must be >= 0, but was -1",
                "{\"type\":\"e\",\"delayMs\":\"soon\"}      | delayMs     | delayMs must be a whole number, but was string \"soon\"",
                "{\"type\":\"e\",\"runAt\":\"tomorrow\"}    | runAt       | runAt must be an ISO-8601 instant like 2026-01-31T12:00:00Z, but was 'tomorrow'",
                "{\"type\":\"e\",\"prority\":\"high\"}      | prority     | unknown field 'prority'",
                "{\"type\":{\"a\":[1]},\"payload\":{}}        | type        | type must be a string, but was object",
                "{\"payload\":[1,2],\"type\":[\"e\"]}         | type        | type must be a string, but was array",
                "{\"type\":\"e\",\"runAt\":\"+10000-01-01T00:00:00Z\"} | runAt | runAt must be between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z, but was string \"+10000-01-01T00:00:00Z\"",
                "{\"type\":\"e\",\"runAt\":\"-0001-12-31T23:59:59Z\"}  | runAt | runAt must be between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z",
                "{\"type\":\"e\",\"runAt\":9223372036854775807}      | runAt | runAt must be between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z, but was number 9223372036854775807",
                "{\"type\":\"e\",\"delayMs\":9223372036854775807}    | delayMs | delayMs must be at most 251606872799999 (runAt must not pass 9999-12-31T23:59:59.999999999Z), but was 9223372036854775807",
            })
    void badSubmissionsNameTheField(String json, String field, String message) {
        assertThatThrownBy(() -> codec.readSubmission(Json.parse(bytes(json))))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((MalformedTaskException) e).field())
                .isEqualTo(field);
        // the API's streaming reader gives the same answer
        assertThatThrownBy(() -> codec.readSubmission(bytes(json), 0, bytes(json).length))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((MalformedTaskException) e).field())
                .isEqualTo(field);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"'' | the record is empty", "not json | not valid JSON", "[1,2] | expected a JSON object"})
    void undecodableRecordsSayWhy(String raw, String message) {
        assertThatThrownBy(() -> codec.decode(bytes(raw), origin))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"type\":\"echo\",\"type\":\"cpu\"}                     | type    | duplicate field 'type'",
                "{\"type\":\"e\",\"payload\":{},\"payload\":{\"a\":1}}     | payload | duplicate field 'payload'",
                "{\"type\":\"e\",\"payload\":{\"a\":1,\"b\":{},\"a\":2}} | payload | payload has an object that gives the field 'a' twice",
                "{\"type\":\"e\",\"payload\":[{\"x\":{\"y\":1,\"y\":1}}]}  | payload | payload has an object that gives the field 'y' twice",
                "{\"type\":7,\"maxAttempts\":1,\"maxAttempts\":2}          | maxAttempts | duplicate field 'maxAttempts'",
            })
    void aSubmissionThatGivesAFieldTwiceIsRefused(String json, String field, String message) throws Exception {
        assertThatThrownBy(() -> codec.readSubmission(bytes(json), 0, bytes(json).length))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((MalformedTaskException) e).field())
                .isEqualTo(field);
        // in a batch, the item is refused and the items after it are read
        byte[] batch = bytes("[" + json + ",{\"type\":\"echo\",\"payload\":{\"a\":{\"a\":1}}}]");
        var items = codec.readSubmissionArray(batch, 10).orElseThrow().items();
        assertThat(items).hasSize(2);
        assertThat(items.get(0).error()).hasMessageContaining(message);
        assertThat(items.get(0).error().field()).isEqualTo(field);
        assertThat(items.get(1).task().type()).isEqualTo("echo");
    }

    @Test
    void aRecordMayGiveAFieldTwiceAsAnyClientWritesIt() throws Exception {
        // on a topic the last one counts, as Jackson's tree reader has it (the worker and the rollups agree)
        assertThat(codec.decode(bytes("{\"type\":\"echo\",\"type\":\"cpu\"}"), origin)
                        .type())
                .isEqualTo("cpu");
    }

    @Test
    void theWireCarriesTheYears0To9999AndNoFurther() throws Exception {
        assertThat(codec.decode(bytes("{\"type\":\"e\",\"runAt\":\"9999-12-31T23:59:59.999999999Z\"}"), origin)
                        .runAt())
                .isEqualTo(Instant.parse("9999-12-31T23:59:59.999999999Z"));
        assertThat(codec.decode(bytes("{\"type\":\"e\",\"submittedAt\":\"0000-01-01T00:00:00Z\"}"), origin)
                        .submittedAt())
                .isEqualTo(Instant.parse("0000-01-01T00:00:00Z"));
        // a record any client wrote: refused as a whole (the worker dead-letters it), never an overflow later
        assertThatThrownBy(() -> codec.decode(bytes("{\"type\":\"e\",\"runAt\":-9223372036854775808}"), origin))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageStartingWith("runAt must be between");
        assertThatThrownBy(() -> codec.decode(
                        bytes("{\"type\":\"e\",\"submittedAt\":\"9999-12-31T00:00:00Z\",\"delayMs\":86400000}"),
                        origin))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageStartingWith("delayMs must be at most 86399999 ");
        String far = "\"+1000000000-12-31T23:59:59Z\"";
        String base = "\"id\":\"t\",\"type\":\"e\",\"status\":\"SUCCEEDED\"";
        for (String field : new String[] {"finishedAt", "startedAt", "submittedAt"}) {
            String result = "{" + base + ",\"updatedAt\":\"2026-11-23T10:00:00Z\",\"" + field + "\":" + far + "}";
            assertThatThrownBy(() -> codec.decodeResultKeepingOutput(bytes(result)))
                    .isInstanceOf(MalformedTaskException.class)
                    .hasMessageStartingWith(field + " must be between");
        }
        assertThatThrownBy(() -> codec.decodeResultKeepingOutput(bytes("{" + base + ",\"updatedAt\":" + far + "}")))
                .isInstanceOf(MalformedTaskException.class)
                .hasMessageStartingWith("updatedAt must be between");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
