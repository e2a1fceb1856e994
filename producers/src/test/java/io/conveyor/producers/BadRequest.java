package io.conveyor.producers;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

/**
 * A request the API must refuse, and the JSON error it must answer with: the status, the error
 * code and the field at fault (null when the request as a whole is).
 */
record BadRequest(
        String name,
        String method,
        String path,
        String contentType,
        byte[] body,
        int status,
        String code,
        String field) {

    static final int ONE_MIB = 1024 * 1024;
    private static final String VALID =
            "{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"},\"priority\":\"high\",\"key\":\"k1\"}";
    private static final String JSON = "application/json";

    /** Every bad request, for {@code POST /v1/tasks} on a server that accepts tasks. */
    static Stream<BadRequest> all() {
        byte[] invalidUtf8 = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        return Stream.of(
                invalid("malformed JSON", "{\"type\":\"echo\",", null),
                invalid("trailing tokens", "{\"type\":\"echo\"} {}", null),
                invalid("type is a number", "{\"type\":42}", "type"),
                invalid("type is blank", "{\"type\":\"  \"}", "type"),
                invalid("type is missing", "{\"payload\":{\"hello\":\"world\"}}", "type"),
                invalid("type is null", "{\"type\":null}", "type"),
                invalid("priority is a number", "{\"type\":\"echo\",\"priority\":1}", "priority"),
                invalid("unknown priority", "{\"type\":\"echo\",\"priority\":\"urgent\"}", "priority"),
                invalid("negative maxAttempts", "{\"type\":\"echo\",\"maxAttempts\":-1}", "maxAttempts"),
                invalid("zero maxAttempts", "{\"type\":\"echo\",\"maxAttempts\":0}", "maxAttempts"),
                invalid("fractional maxAttempts", "{\"type\":\"echo\",\"maxAttempts\":1.5}", "maxAttempts"),
                invalid("maxAttempts is text", "{\"type\":\"echo\",\"maxAttempts\":\"3\"}", "maxAttempts"),
                invalid("maxAttempts over int", "{\"type\":\"echo\",\"maxAttempts\":10000000000}", "maxAttempts"),
                invalid("negative timeoutMs", "{\"type\":\"echo\",\"timeoutMs\":-5}", "timeoutMs"),
                invalid("timeoutMs over long", "{\"type\":\"echo\",\"timeoutMs\":1e30}", "timeoutMs"),
                invalid("negative delayMs", "{\"type\":\"echo\",\"delayMs\":-1}", "delayMs"),
                invalid(
                        "delayMs and runAt",
                        "{\"type\":\"echo\",\"delayMs\":5,\"runAt\":\"2026-01-01T00:00:00Z\"}",
                        "delayMs"),
                invalid("runAt is not an instant", "{\"type\":\"echo\",\"runAt\":\"tomorrow\"}", "runAt"),
                invalid("key is a number", "{\"type\":\"echo\",\"key\":7}", "key"),
                invalid("blank idempotencyKey", "{\"type\":\"echo\",\"idempotencyKey\":\"\"}", "idempotencyKey"),
                invalid("unknown field", "{\"type\":\"echo\",\"prio\":\"high\"}", "prio"),
                invalid("field given twice", "{\"type\":\"echo\",\"type\":\"cpu\"}", "type"),
                invalid(
                        "payload field given twice",
                        "{\"type\":\"echo\",\"payload\":{\"to\":\"a\",\"to\":\"b\"}}",
                        "payload"),
                invalid("JSON array body", "[" + VALID + "]", null),
                invalid("JSON string body", "\"echo\"", null),
                invalid("JSON null body", "null", null),
                invalid("empty body", "", null),
                invalid(
                        "deeply nested payload",
                        "{\"type\":\"echo\",\"payload\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}",
                        null),
                new BadRequest("invalid UTF-8", "POST", "/v1/tasks", JSON, invalidUtf8, 400, "invalid_task", null),
                refused("text/plain", "POST", "/v1/tasks", "text/plain", VALID, 415, "unsupported_media_type"),
                refused("no content type", "POST", "/v1/tasks", null, VALID, 415, "unsupported_media_type"),
                refused(
                        "form",
                        "POST",
                        "/v1/tasks",
                        "application/x-www-form-urlencoded",
                        "type=echo",
                        415,
                        "unsupported_media_type"),
                refused(
                        "broken multipart",
                        "POST",
                        "/v1/tasks",
                        "multipart/form-data; boundary=xyz",
                        "--xyz\r\nbroken",
                        415,
                        "unsupported_media_type"),
                new BadRequest(
                        "body within 1 MiB but too large for Kafka",
                        "POST",
                        "/v1/tasks",
                        JSON,
                        largeTask(ONE_MIB - 16),
                        413,
                        "too_large",
                        null),
                new BadRequest(
                        "body over 1 MiB", "POST", "/v1/tasks", JSON, largeTask(ONE_MIB + 1), 413, "too_large", null),
                refused("unknown route", "GET", "/v2/tasks", null, null, 404, "not_found"),
                refused("POST on a task", "POST", "/v1/tasks/abc", JSON, VALID, 405, "method_not_allowed"),
                refused("GET on the submit route", "GET", "/v1/tasks", null, null, 405, "method_not_allowed"),
                refused("DELETE on the submit route", "DELETE", "/v1/tasks", null, null, 405, "method_not_allowed"),
                refused("PUT on a health route", "PUT", "/health/live", JSON, "{}", 405, "method_not_allowed"));
    }

    /** A valid submission of about {@code size} bytes. */
    static byte[] largeTask(int size) {
        String prefix = "{\"type\":\"echo\",\"payload\":\"";
        return (prefix + "x".repeat(Math.max(0, size - prefix.length() - 2)) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static BadRequest invalid(String name, String json, String field) {
        return new BadRequest(
                name, "POST", "/v1/tasks", JSON, json.getBytes(StandardCharsets.UTF_8), 400, "invalid_task", field);
    }

    private static BadRequest refused(
            String name, String method, String path, String contentType, String body, int status, String code) {
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return new BadRequest(name, method, path, contentType, bytes, status, code, null);
    }

    @Override
    public String toString() {
        return name;
    }
}
