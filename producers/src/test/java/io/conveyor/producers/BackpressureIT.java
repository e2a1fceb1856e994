package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.read;
import static io.conveyor.producers.ApiTestKit.registry;
import static io.conveyor.producers.Http.TIMEOUT;
import static io.conveyor.producers.Http.assertError;
import static io.conveyor.producers.Http.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Admission control, rate limits and graceful shutdown on a real broker. A long producer linger
 * holds writes in flight for a few seconds, so the tests can see the API while Kafka has not
 * acknowledged yet.
 */
@ExtendWith(KafkaBrokerExtension.class)
class BackpressureIT {
    private static final byte[] TASK = "{\"type\":\"echo\"}".getBytes(StandardCharsets.UTF_8);
    private static final Http http = new Http();
    private static KafkaBroker broker;

    @BeforeAll
    static void broker(KafkaBroker kafka) {
        broker = kafka;
    }

    @AfterAll
    static void close() {
        http.close();
    }

    @Test
    void shedsWith503AtTheHighWatermarkAndAcceptsOnceDrained() {
        ConveyorConfig config = provisioned(
                broker,
                Map.of(
                        "api.inflight.low", "2",
                        "api.inflight.high", "4",
                        "kafka.producer.linger.ms", "2000"));
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                ApiServer.builder(config, registry).acceptTasks().start()) {
            List<CompletableFuture<HttpResponse<String>>> held = post(server, 4);
            await().atMost(TIMEOUT).until(() -> server.inflight() == 4);

            HttpResponse<String> refused = http.postJson(server, "{\"type\":\"echo\"}");
            assertError(refused, 503, "overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.headers().firstValue("X-Conveyor-Pressure")).hasValue("1.00");
            assertError(http.postBatch(server, "application/json", "[{\"type\":\"echo\"}]"), 503, "overloaded");
            assertThat(registry.scrape())
                    .contains("conveyor_api_inflight 4.0")
                    .contains("conveyor_api_pressure 1.0")
                    .contains("conveyor_api_shedding 1.0")
                    .contains("conveyor_tasks_rejected_total{reason=\"overloaded\"} 2.0");

            for (CompletableFuture<HttpResponse<String>> answer : held) {
                HttpResponse<String> response = answer.join();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                assertThat(response.headers().firstValue("X-Conveyor-Pressure")).isPresent();
            }
            await().atMost(TIMEOUT).until(() -> server.inflight() == 0);
            HttpResponse<String> accepted = http.postJson(server, "{\"type\":\"echo\"}");
            assertThat(accepted.statusCode()).isEqualTo(202);
            assertThat(accepted.headers().firstValue("X-Conveyor-Pressure")).isEmpty();
            assertThat(registry.scrape()).contains("conveyor_api_shedding 0.0");
        }
    }

    @Test
    void limitsEachClientToItsRate() {
        ConveyorConfig config = provisioned(broker, Map.of("api.rate.limit.per.second", "2"));
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                ApiServer.builder(config, registry).acceptTasks().start()) {
            assertThat(postAs(server, "alice").statusCode()).isEqualTo(202);
            assertThat(postAs(server, "alice").statusCode()).isEqualTo(202);
            HttpResponse<String> limited = postAs(server, "alice");
            assertError(limited, 429, "rate_limited");
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(postAs(server, "bob").statusCode()).isEqualTo(202);
            assertThat(registry.scrape()).contains("conveyor_tasks_rejected_total{reason=\"rate_limited\"} 1.0");
        }
    }

    @Test
    void closeRefusesNewRequestsFinishesInFlightWritesAndFlushes() throws Exception {
        ConveyorConfig config = provisioned(broker, Map.of("kafka.producer.linger.ms", "1500"));
        ApiServer server = ApiServer.builder(config, registry()).acceptTasks().start();
        List<CompletableFuture<HttpResponse<String>>> held = post(server, 10);
        await().atMost(TIMEOUT).until(() -> server.inflight() == 10);

        Thread closer = Thread.ofPlatform().name("test-close").start(server::close);
        await().atMost(TIMEOUT).until(server::isClosing);
        HttpResponse<String> late = http.postJson(server, "{\"type\":\"echo\"}");
        assertError(late, 503, "shutting_down");
        assertThat(late.headers().firstValue("Retry-After")).hasValue("1");
        closer.join(TIMEOUT.toMillis());
        assertThat(closer.isAlive()).isFalse();

        List<String> ids = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> answer : held) {
            HttpResponse<String> response = answer.join();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            ids.add(json(response).path("id").asText());
        }
        assertThat(read(broker, config.topics().tasks(Priority.NORMAL), 10))
                .extracting(r -> new String(r.value(), StandardCharsets.UTF_8).substring(7, 43))
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    private static List<CompletableFuture<HttpResponse<String>>> post(ApiServer server, int count) {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            answers.add(http.sendAsync(server, "POST", "/v1/tasks", "application/json", TASK));
        }
        return answers;
    }

    private static HttpResponse<String> postAs(ApiServer server, String apiKey) {
        return http.send(server, "POST", "/v1/tasks", "application/json", TASK, "X-API-Key", apiKey);
    }
}
