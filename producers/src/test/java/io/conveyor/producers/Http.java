package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;

/**
 * An HTTP/1.1 client for the {@link ApiServer} under test, and assertions on the API's answers.
 * Thread-safe, like the {@link HttpClient} it wraps.
 */
final class Http implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final Set<String> ERROR_FIELDS = Set.of("code", "message", "field");

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();

    HttpResponse<String> get(ApiServer server, String path, String... headers) {
        return send(request(server, "GET", path, null, null, headers));
    }

    HttpResponse<String> postJson(ApiServer server, String json) {
        return send(server, "POST", "/v1/tasks", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> send(ApiServer server, String method, String path, String contentType, byte[] body) {
        return send(request(server, method, path, contentType, body));
    }

    /** Sends with extra headers (name, value, name, value, ...). */
    HttpResponse<String> send(
            ApiServer server, String method, String path, String contentType, byte[] body, String... headers) {
        return send(request(server, method, path, contentType, body, headers));
    }

    HttpResponse<String> postBatch(ApiServer server, String contentType, String body) {
        return send(server, "POST", "/v1/tasks/batch", contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> delete(ApiServer server, String path) {
        return send(server, "DELETE", path, null, null);
    }

    /**
     * Posts a JSON body of unknown length, so it goes chunked; with {@code expectContinue} the body
     * waits for the server's {@code 100 Continue}.
     */
    HttpResponse<String> postStreamed(ApiServer server, byte[] body, boolean expectContinue) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/tasks"))
                .timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .expectContinue(expectContinue)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build());
    }

    CompletableFuture<HttpResponse<String>> sendAsync(
            ApiServer server, String method, String path, String contentType, byte[] body) {
        return client.sendAsync(request(server, method, path, contentType, body), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static HttpRequest request(
            ApiServer server, String method, String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(TIMEOUT)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return request.build();
    }

    /**
     * Sends {@code head} (request line and headers, without the blank line) as raw bytes, for
     * requests {@link HttpClient} refuses to send, such as a malformed path. The answer is read
     * until the server closes the connection.
     */
    static HttpResponse<String> raw(ApiServer server, String head) {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            socket.getOutputStream()
                    .write((head + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return RawResponse.parse(answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The body as JSON. */
    static JsonNode json(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("content-type"))
                .as("content type of %s", response.body())
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        try {
            return Json.mapper().readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    /**
     * Asserts the API's error answer: the status, and a JSON body {@code {"error":{"code",
     * "message","field"?}}} with this code and a message. Returns the {@code error} object.
     */
    static JsonNode assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        JsonNode body = json(response);
        assertThat(body.properties()).as("fields of %s", body).hasSize(1);
        JsonNode error = body.path("error");
        assertThat(error.isObject()).as("error object in %s", body).isTrue();
        List<String> names = new ArrayList<>();
        error.fieldNames().forEachRemaining(names::add);
        assertThat(names).as("fields of %s", error).isSubsetOf(ERROR_FIELDS);
        assertThat(error.path("code").asText()).as("code in %s", body).isEqualTo(code);
        assertThat(error.path("message").isTextual()).as("message in %s", body).isTrue();
        assertThat(error.path("message").asText()).as("message in %s", body).isNotBlank();
        return error;
    }

    @Override
    public void close() {
        client.close();
    }

    /** An HTTP/1.1 answer read from a socket; only status, headers and body. */
    private record RawResponse(int statusCode, HttpHeaders headers, String body) implements HttpResponse<String> {
        static RawResponse parse(String answer) {
            int end = answer.indexOf("\r\n\r\n");
            assertThat(end).as("end of the head of %s", answer).isPositive();
            String[] lines = answer.substring(0, end).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
            return new RawResponse(status, HttpHeaders.of(headers, (k, v) -> true), answer.substring(end + 4));
        }

        @Override
        public HttpRequest request() {
            throw new UnsupportedOperationException("a raw answer has no HttpRequest");
        }

        @Override
        public Optional<HttpResponse<String>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            throw new UnsupportedOperationException("a raw answer has no URI");
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
