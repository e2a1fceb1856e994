package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.endOffset;
import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.registry;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Slow and broken clients, over raw sockets: a body or headers trickled a byte at a time, idle
 * keep-alive connections, request lines and headers over the limits. None holds a connection for
 * longer than its timeout (plus the check period, a quarter of the timeout here), each gets the
 * API's JSON error when there is a request to answer, each is counted, and many at once do not
 * keep the event loop from serving everyone else.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SlowClientIT {
    private static final Http http = new Http();
    /** The timeouts of the servers here (api.body.timeout.ms, api.idle.timeout.ms). */
    private static final Duration TIMEOUT = Duration.ofMillis(1_000);
    /** A timeout is met within one check period (a quarter of it here); the rest is a busy machine's slack. */
    private static final Duration LATEST = TIMEOUT.plusMillis(250).plusSeconds(2);

    private static final String TASK = "{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"}}";

    private static KafkaBroker broker;

    @BeforeAll
    static void broker(KafkaBroker kafka) {
        broker = kafka;
    }

    @AfterAll
    static void close() {
        http.close();
    }

    private static ConveyorConfig config() {
        return provisioned(
                broker,
                Map.of(
                        "api.body.timeout.ms", String.valueOf(TIMEOUT.toMillis()),
                        "api.idle.timeout.ms", String.valueOf(TIMEOUT.toMillis())));
    }

    @Test
    void aBodyTrickledAByteAtATimeGets408AndTheConnectionCloses() {
        ConveyorConfig config = config();
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                        ApiServer.builder(config, registry).acceptTasks().start();
                RawSocket plain = new RawSocket(server.port());
                RawSocket chunked = new RawSocket(server.port())) {
            plain.write("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + TASK.length() + "\r\n\r\n");
            plain.trickle(TASK, Duration.ofMillis(100));
            chunked.write(
                    "POST /v1/tasks/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding:"
                            + " chunked\r\n\r\n");
            chunked.trickle("1\r\n{\r\n".repeat(100), Duration.ofMillis(50));

            for (RawSocket slow : List.of(plain, chunked)) {
                Duration held = slow.awaitClosed(LATEST.plusSeconds(1));
                assertThat(held).isBetween(TIMEOUT, LATEST);
                RawSocket.Response answer =
                        slow.awaitResponses(1, Duration.ofSeconds(1)).getFirst();
                assertThat(answer.status()).as(slow.received()).isEqualTo(408);
                assertThat(answer.headers()).containsEntry("connection", "close");
                JsonNode error = error(answer, "request_timeout");
                assertThat(error.path("message").asText())
                        .isEqualTo("the request body did not arrive within api.body.timeout.ms (1000 ms)");
                System.out.printf(
                        "%s body trickled: 408 and closed after %d ms%n",
                        slow == plain ? "plain" : "chunked", held.toMillis());
            }
            assertThat(registry.scrape())
                    .contains("conveyor_api_connections_closed_total{reason=\"body_timeout\"} 2.0");
            // nothing half-received was written
            assertThat(endOffset(broker, config.topics().tasks(Priority.NORMAL)))
                    .isZero();
            assertThat(http.get(server, "/health/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void trickledHeadersAndIdleConnectionsAreClosedAfterTheIdleTimeout() {
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                        ApiServer.builder(config(), registry).acceptTasks().start();
                RawSocket trickling = new RawSocket(server.port());
                RawSocket silent = new RawSocket(server.port());
                RawSocket afterAnAnswer = new RawSocket(server.port())) {
            trickling.trickle(
                    "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(500), Duration.ofMillis(20));
            afterAnAnswer.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            long answeredAt = System.nanoTime();
            assertThat(afterAnAnswer
                            .awaitResponses(1, Duration.ofSeconds(5))
                            .getFirst()
                            .status())
                    .isEqualTo(200);

            for (RawSocket idle : List.of(trickling, silent)) {
                Duration held = idle.awaitClosed(LATEST.plusSeconds(1));
                assertThat(held).isBetween(TIMEOUT, LATEST);
                assertThat(idle.received()).as("no request to answer").isEmpty();
                System.out.printf(
                        "%s: closed after %d ms%n", idle == silent ? "silent" : "headers trickled", held.toMillis());
            }
            afterAnAnswer.awaitClosed(LATEST.plusSeconds(1));
            Duration sinceAnswer = Duration.ofNanos(System.nanoTime() - answeredAt);
            assertThat(sinceAnswer).isGreaterThanOrEqualTo(TIMEOUT);
            assertThat(registry.scrape())
                    .contains("conveyor_api_connections_closed_total{reason=\"idle_timeout\"} 3.0");
        }
    }

    @Test
    void aKeepAliveConnectionInUseStaysOpenAndTheServersOwnWaitDoesNotCount() {
        // a lookup that takes longer than both timeouts: the client is waiting for the server
        try (ApiServer server = ApiServer.builder(config(), registry())
                        .lookup(id -> id.equals("slow")
                                ? CompletableFuture.supplyAsync(
                                        Optional::<io.conveyor.core.TaskResult>empty,
                                        CompletableFuture.delayedExecutor(2_500, TimeUnit.MILLISECONDS))
                                : CompletableFuture.completedFuture(Optional.empty()))
                        .start();
                RawSocket busy = new RawSocket(server.port())) {
            long start = System.nanoTime();
            for (int i = 1; i <= 8; i++) {
                busy.write("GET /v1/tasks/t" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(busy.awaitResponses(i, Duration.ofSeconds(5))
                                .getLast()
                                .status())
                        .isEqualTo(404);
                sleepOnClientSide(Duration.ofMillis(400));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(TIMEOUT.multipliedBy(3));
            assertThat(busy.isClosed()).as("a connection in use every 400 ms").isFalse();

            busy.write("GET /v1/tasks/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            RawSocket.Response slow =
                    busy.awaitResponses(9, Duration.ofSeconds(10)).getLast();
            assertThat(slow.status()).isEqualTo(404);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(2_500));
            assertThat(busy.isClosed()).isFalse();
            busy.awaitClosed(Duration.ofSeconds(30));
        }
    }

    @Test
    void requestLinesAndHeadersOverTheLimitsGetAJsonErrorNamingTheLimit() {
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                        ApiServer.builder(config(), registry).acceptTasks().start();
                RawSocket longLine = new RawSocket(server.port());
                RawSocket bigHeaders = new RawSocket(server.port());
                RawSocket unknownVersion = new RawSocket(server.port());
                RawSocket notHttp = new RawSocket(server.port());
                RawSocket badChunk = new RawSocket(server.port())) {
            longLine.write("GET /v1/tasks/" + "x".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            bigHeaders.write("GET /health/live HTTP/1.1\r\nHost: x\r\n" + "X-Pad: " + "p".repeat(1_000)
                    + "\r\n".repeat(1) + ("X-More: " + "m".repeat(1_000) + "\r\n").repeat(8) + "\r\n");
            unknownVersion.write("GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n");
            notHttp.write("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003 garbage\r\n\r\n");
            badChunk.write("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding:"
                    + " chunked\r\n\r\n5\r\n{\"typ\r\nzz\r\n" + TASK + "\r\n0\r\n\r\n");

            JsonNode tooLong =
                    error(longLine.awaitResponses(1, Duration.ofSeconds(5)).getFirst(), 414, "uri_too_long");
            assertThat(tooLong.path("message").asText()).contains("4096 bytes");
            JsonNode tooBig =
                    error(bigHeaders.awaitResponses(1, Duration.ofSeconds(5)).getFirst(), 431, "headers_too_large");
            assertThat(tooBig.path("message").asText()).contains("api.max.header.bytes (8192 bytes)");
            JsonNode version = error(
                    unknownVersion.awaitResponses(1, Duration.ofSeconds(5)).getFirst(), 400, "bad_request");
            assertThat(version.path("message").asText())
                    .isEqualTo("the request's HTTP version 'HTTP/9.9' is not one the server speaks; use HTTP/1.1");
            JsonNode bad =
                    error(notHttp.awaitResponses(1, Duration.ofSeconds(5)).getFirst(), 400, "bad_request");
            assertThat(bad.path("message").asText()).startsWith("the request is not HTTP the server can read: ");
            JsonNode chunk =
                    error(badChunk.awaitResponses(1, Duration.ofSeconds(5)).getFirst(), 400, "bad_request");
            assertThat(chunk.path("message").asText()).startsWith("the request body is not HTTP the server can read: ");
            for (RawSocket s : List.of(longLine, bigHeaders, unknownVersion, notHttp, badChunk)) {
                s.awaitClosed(Duration.ofSeconds(5));
            }
            assertThat(registry.scrape())
                    .contains("conveyor_api_connections_closed_total{reason=\"invalid_request\"} 5.0");
            assertThat(http.get(server, "/health/live").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void manySlowClientsDoNotKeepOthersWaiting() {
        // timeouts long enough that the slow clients stay connected for the whole test
        ConveyorConfig config =
                provisioned(broker, Map.of("api.body.timeout.ms", "60000", "api.idle.timeout.ms", "60000"));
        VertxOptions strict = new VertxOptions()
                .setBlockedThreadCheckInterval(10)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(10)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(10)
                .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
        List<RawSocket> slow = new ArrayList<>();
        try (ApiServer server = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .vertxOptions(strict)
                        .start();
                BlockedThreadLog log = new BlockedThreadLog()) {
            for (int i = 0; i < 150; i++) {
                RawSocket body = new RawSocket(server.port());
                body.write("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + TASK.length() + "\r\n\r\n");
                body.trickle(TASK, Duration.ofMillis(500));
                RawSocket head = new RawSocket(server.port());
                head.trickle(
                        "GET /health/live HTTP/1.1\r\nHost: x\r\n" + "X-Slow: " + "s".repeat(200),
                        Duration.ofMillis(500));
                slow.add(body);
                slow.add(head);
            }
            List<Long> millis = new ArrayList<>();
            byte[] task = TASK.getBytes(StandardCharsets.UTF_8);
            for (int round = 0; round < 20; round++) {
                List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    answers.add(http.sendAsync(server, "POST", "/v1/tasks", "application/json", task));
                }
                answers.forEach(a -> assertThat(a.join().statusCode()).isEqualTo(202));
                millis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            millis.sort(null);
            System.out.printf(
                    "300 slow clients: 20 rounds of 10 submissions answered in %d ms (median), %d ms (slowest)%n",
                    millis.get(10), millis.getLast());
            assertThat(millis.get(10))
                    .as("median round with 300 slow clients connected")
                    .isLessThan(1_000);
            assertThat(slow).as("slow clients still connected").noneMatch(RawSocket::isClosed);
            assertThat(log.inBlockingCalls())
                    .as("blocked-thread warnings in blocking calls (all warnings: %s)", log.warnings())
                    .isEmpty();
        } finally {
            slow.forEach(RawSocket::close);
        }
    }

    private static JsonNode error(RawSocket.Response answer, String code) {
        return error(answer, answer.status(), code);
    }

    private static JsonNode error(RawSocket.Response answer, int status, String code) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.headers().get("content-type")).startsWith("application/json");
        try {
            JsonNode error = Json.mapper().readTree(answer.body()).path("error");
            assertThat(error.path("code").asText()).as(answer.body()).isEqualTo(code);
            assertThat(error.path("message").asText()).as(answer.body()).isNotBlank();
            return error;
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + answer.body(), e);
        }
    }

    /** The client's own pace between requests (what it does, not a wait for the server). */
    private static void sleepOnClientSide(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
