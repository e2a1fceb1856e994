package io.conveyor.rollups.internal;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.HttpTls;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Asks another Conveyor process for a task's view over HTTP: {@code GET
 * <base>/internal/v1/tasks/{id}} answers {@code 200} with the view, {@code 204} when the task is
 * not in the table, {@code 503} when that process cannot answer now. With {@code local}, the other
 * process answers from its own partitions only and never forwards again (no loops between
 * instances).
 *
 * <p>Threads: {@link #find} blocks (JDK {@link HttpClient}, bounded by the timeout), so callers run
 * it on virtual threads; thread-safe.
 */
public final class PeerClient implements AutoCloseable {
    /** The path of the lookup route between Conveyor processes, followed by the URL-encoded id. */
    public static final String INTERNAL_PATH = "/internal/v1/tasks/";

    private final HttpClient http;
    private final TaskCodec codec;
    private final Duration timeout;

    public PeerClient(TaskCodec codec, Duration timeout) {
        this(codec, timeout, null);
    }

    /**
     * @param tls the client side of https calls (trust, and the certificate presented when asked);
     *     null for the JVM's defaults
     */
    public PeerClient(TaskCodec codec, Duration timeout, SSLContext tls) {
        this.codec = codec;
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.http = builder.build();
    }

    /**
     * The client of calls to other Conveyor processes as {@code http.tls.*} says: it trusts {@code
     * http.tls.trust} (else the JVM's trust store) and presents {@code http.tls.cert} when asked.
     */
    public static PeerClient of(ConveyorConfig config, TaskCodec codec) {
        HttpTls tls = config.httpTls();
        return new PeerClient(
                codec,
                Duration.ofMillis(config.get(ConveyorConfig.ROLLUP_LOOKUP_TIMEOUT_MS)),
                tls.enabled() || tls.trust().isPresent() ? tls.clientContext() : null);
    }

    /**
     * The view of {@code id} as {@code base} (an {@code http(s)://host:port} URL) answers it.
     *
     * @throws StatusUnavailableException when that process does not answer within the timeout,
     *     cannot be reached, answers 503, or does not serve lookups
     */
    public Optional<TaskResult> find(String base, String id, boolean local) {
        URI uri = URI.create(base
                + INTERNAL_PATH
                + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20")
                + (local ? "?local=true" : ""));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new StatusUnavailableException(
                    base + " did not answer the lookup of task '" + id + "' within " + timeout.toMillis()
                            + " ms (rollup.lookup.timeout.ms); retry shortly",
                    e);
        } catch (IOException e) {
            throw new StatusUnavailableException(
                    "could not reach " + base + " to look up task '" + id + "' (" + e
                            + "); it may be restarting, retry shortly",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StatusUnavailableException("the lookup of task '" + id + "' was interrupted", e);
        }
        return switch (response.statusCode()) {
            case 200 -> Optional.of(decode(base, id, response.body()));
            case 204 -> Optional.empty();
            case 503 ->
                throw new StatusUnavailableException(base + " cannot look up task '" + id + "' right now: "
                        + new String(response.body(), StandardCharsets.UTF_8));
            case 404 ->
                throw new StatusUnavailableException(base + " does not serve " + INTERNAL_PATH
                        + "{id}; point api.status.url (or rollup.advertised.url) at a rollup instance's HTTP port");
            default ->
                throw new StatusUnavailableException(base + " answered the lookup of task '" + id + "' with "
                        + response.statusCode() + ": " + new String(response.body(), StandardCharsets.UTF_8));
        };
    }

    private TaskResult decode(String base, String id, byte[] body) {
        try {
            return codec.decodeResult(body);
        } catch (MalformedTaskException e) {
            throw new StatusUnavailableException(
                    base + " answered the lookup of task '" + id + "' with an unreadable view: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
