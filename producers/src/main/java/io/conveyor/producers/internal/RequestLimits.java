package io.conveyor.producers.internal;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a client may send the API, and how slowly, so that no client holds a connection for ever:
 *
 * <ul>
 *   <li>a request line of at most {@value #MAX_REQUEST_LINE_BYTES} bytes (else {@code 414}) and
 *       header lines of at most {@code api.max.header.bytes} in all (else {@code 431}); these and
 *       any other HTTP the server cannot read ({@code 400}) are answered with the API's JSON error,
 *       and the connection closes;
 *   <li>a whole request head within {@code api.idle.timeout.ms} of the connection opening or of its
 *       last answer: a keep-alive connection that stays idle, and a client that trickles its request
 *       line and headers, are closed then (there is no request to answer yet);
 *   <li>the body within {@code api.body.timeout.ms} of the head: a client that trickles it gets
 *       {@code 408} (when no answer has begun) and the connection closes.
 * </ul>
 *
 * <p>Each closed connection counts in {@code conveyor_api_connections_closed_total{reason}}. The
 * time a request waits for the server (Kafka's acknowledgement, a lookup) never counts against the
 * client: a deadline runs only while the client is to send.
 *
 * <p>How: every connection has one periodic check (every quarter of the shorter timeout, at most a
 * second) that looks at the requests it has received and not yet answered; deadlines are met within
 * one such period. Vert.x calls a connection's handlers on that connection's event loop, and the
 * check runs there too, so each connection's state is confined to one event-loop thread and never
 * blocks it; the map of connections is concurrent because each event loop has its own.
 */
public final class RequestLimits {
    /** Longest request line (method, path with query, version): task ids are at most 256 characters. */
    public static final int MAX_REQUEST_LINE_BYTES = 4_096;

    private final Vertx vertx;
    private final int maxHeaderBytes;
    private final long bodyTimeoutNanos;
    private final long idleTimeoutNanos;
    private final long checkEveryMs;
    private final Counter idleClosed;
    private final Counter bodyTimedOut;
    private final Counter invalid;
    private final Map<HttpConnection, Connection> connections = new ConcurrentHashMap<>();

    public RequestLimits(Vertx vertx, ConveyorConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.maxHeaderBytes = config.get(ConveyorConfig.API_MAX_HEADER_BYTES);
        long bodyMs = config.get(ConveyorConfig.API_BODY_TIMEOUT_MS);
        long idleMs = config.get(ConveyorConfig.API_IDLE_TIMEOUT_MS);
        this.bodyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(bodyMs);
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleMs);
        this.checkEveryMs = Math.max(10, Math.min(1_000, Math.min(bodyMs, idleMs) / 4));
        this.idleClosed = Meters.counter(registry, Meters.API_CONNECTIONS_CLOSED, "idle_timeout");
        this.bodyTimedOut = Meters.counter(registry, Meters.API_CONNECTIONS_CLOSED, "body_timeout");
        this.invalid = Meters.counter(registry, Meters.API_CONNECTIONS_CLOSED, "invalid_request");
    }

    /**
     * {@code options} with the size limits of request lines and headers, and without HTTP/2 over
     * cleartext (h2c). With h2c on, Vert.x reads a connection's first bytes to choose between HTTP/1
     * and HTTP/2 before it creates the connection, so one that sends nothing (or a slow prefix of
     * the HTTP/2 preface) is never seen by {@link #guard}'s handlers and nothing would ever close
     * it. Clients speak HTTP/1.1 to the API; Java's HttpClient (the rollups' peer lookups), which
     * offers h2c by an {@code Upgrade} header, stays on HTTP/1.1.
     */
    public HttpServerOptions options(HttpServerOptions options) {
        return options.setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
                .setMaxHeaderSize(maxHeaderBytes)
                .setHttp2ClearTextEnabled(false);
    }

    /** Puts the limits in front of {@code requests} on {@code server} (before it listens). */
    public HttpServer guard(HttpServer server, Handler<HttpServerRequest> requests) {
        return server.connectionHandler(this::opened)
                .invalidRequestHandler(this::invalid)
                .requestHandler(request -> {
                    received(request);
                    requests.handle(request);
                });
    }

    private void opened(HttpConnection connection) {
        connection(connection);
        DecodeFailures.install(connection, invalid::increment);
    }

    private Connection connection(HttpConnection connection) {
        Connection known = connections.get(connection);
        if (known != null) {
            return known;
        }
        Connection c = new Connection(connection);
        connections.put(connection, c);
        connection.closeHandler(v -> {
            vertx.cancelTimer(c.timer);
            connections.remove(connection);
        });
        return c;
    }

    private void received(HttpServerRequest request) {
        connection(request.connection()).requests.add(new Pending(request, System.nanoTime()));
    }

    private void invalid(HttpServerRequest request) {
        invalid.increment();
        Throwable cause = request.decoderResult().cause();
        HttpServerResponse response = request.response();
        response.putHeader("Connection", "close");
        if (cause instanceof TooLongHttpLineException) {
            HttpErrors.send(
                    response,
                    414,
                    "uri_too_long",
                    "the request line (method, path and query) is longer than " + MAX_REQUEST_LINE_BYTES + " bytes",
                    null);
        } else if (cause instanceof DecodeFailures.UnknownVersion unknown) {
            HttpErrors.send(
                    response,
                    400,
                    "bad_request",
                    "the request's HTTP version '" + unknown.getMessage()
                            + "' is not one the server speaks; use HTTP/1.1",
                    null);
        } else if (cause instanceof TooLongHttpHeaderException) {
            HttpErrors.send(
                    response,
                    431,
                    "headers_too_large",
                    "the request headers are larger than api.max.header.bytes (" + maxHeaderBytes + " bytes)",
                    null);
        } else {
            HttpErrors.send(
                    response,
                    400,
                    "bad_request",
                    "the request is not HTTP the server can read"
                            + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()),
                    null);
        }
        request.connection().close();
    }

    /** One connection's requests not yet answered; used only on the connection's event loop. */
    private final class Connection {
        final HttpConnection connection;
        final ArrayDeque<Pending> requests = new ArrayDeque<>();
        final long timer;
        /** Since when no request has been waiting for an answer (valid while {@link #requests} is empty). */
        long quietSince = System.nanoTime();

        Connection(HttpConnection connection) {
            this.connection = connection;
            this.timer = vertx.setPeriodic(checkEveryMs, id -> check());
        }

        private void check() {
            long now = System.nanoTime();
            for (Iterator<Pending> it = requests.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                HttpServerResponse response = p.request().response();
                if (response.ended() || response.closed()) {
                    it.remove();
                    quietSince = now;
                } else if (!p.request().isEnded() && now - p.arrived() >= bodyTimeoutNanos) {
                    it.remove();
                    bodyTimedOut(p.request());
                    return;
                }
            }
            if (requests.isEmpty() && now - quietSince >= idleTimeoutNanos) {
                idleClosed.increment();
                connection.close();
            }
        }

        private void bodyTimedOut(HttpServerRequest request) {
            bodyTimedOut.increment();
            HttpServerResponse response = request.response();
            boolean http2 = request.version() == HttpVersion.HTTP_2;
            if (!response.headWritten()) {
                if (!http2) {
                    response.putHeader("Connection", "close");
                }
                HttpErrors.send(
                        response,
                        408,
                        "request_timeout",
                        "the request body did not arrive within api.body.timeout.ms ("
                                + TimeUnit.NANOSECONDS.toMillis(bodyTimeoutNanos) + " ms)",
                        null);
            }
            if (http2) {
                response.reset(); // the stream, not the connection the other streams share
            } else {
                connection.close();
            }
        }
    }

    private record Pending(HttpServerRequest request, long arrived) {}
}
