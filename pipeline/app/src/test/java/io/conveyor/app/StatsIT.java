package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/stats and the conveyor_rollup_* gauges of a pipeline assembled as {@code conveyor run}
 * assembles it, with 2 s and 4 s windows: tasks submitted over HTTP show up as closed windows, and
 * once traffic stops the figures fall to zero instead of freezing.
 */
@ExtendWith(KafkaBrokerExtension.class)
class StatsIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void windowsOfSubmittedTasksAreServedAndFallToZeroWhenQuiet(KafkaBroker broker, @TempDir Path stateDir)
            throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("stats"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 2)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("workers"))
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.ROLLUP_WINDOWS, "2s,4s")
                .set(ConveyorConfig.ROLLUP_GRACE_MS, 200)
                .set(ConveyorConfig.ROLLUP_PUNCTUATE_INTERVAL_MS, 200)
                .set(ConveyorConfig.ROLLUP_IDLE_TIMEOUT_MS, 2_000)
                .set(ConveyorConfig.HTTP_PORT, 0)
                .build();
        try (Node node = new Node()) {
            ApiServer api = Roles.all(node, config, Metrics.registry(node));
            String base = "http://localhost:" + api.port();
            await().atMost(WAIT).until(() -> get(base + "/health/ready").statusCode() == 200);

            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                batch.append("{\"type\":\"echo\",\"payload\":").append(i).append("}\n");
            }
            batch.append("{\"type\":\"fail\",\"payload\":{\"times\":5},\"maxAttempts\":1}\n");
            HttpResponse<String> accepted = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/tasks/batch"))
                            .header("content-type", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofString(batch.toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).isEqualTo(200);

            // every window served, once each by type, size and start: the sums are exact
            Map<String, JsonNode> served = new ConcurrentHashMap<>();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                JsonNode stats = JSON.readTree(get(base + "/v1/stats").body());
                stats.path("types")
                        .forEach(perSize -> perSize.forEach(w -> served.put(
                                w.path("type").asText() + "/" + w.path("window").asText() + "/"
                                        + w.path("start").asText(),
                                w)));
                assertThat(sum(served, "fail", "2s", "/deadLetters"))
                        .as("%s", stats)
                        .isEqualTo(1);
                assertThat(sum(served, "echo", "2s", "/tasks/SUCCEEDED")).isEqualTo(10);
                assertThat(sum(served, "echo", "4s", "/tasks/SUCCEEDED")).isEqualTo(10);
                assertThat(sum(served, "echo", "4s", "/arrivals")).isEqualTo(10);
            });
            assertThat(served.values())
                    .filteredOn(w -> w.path("terminal").asLong() > 0)
                    .allSatisfy(w -> assertThat(w.at("/latency/end_to_end/p99").asDouble())
                            .isPositive());
            JsonNode stats = JSON.readTree(get(base + "/v1/stats").body());
            assertThat(stats.at("/windows").toString()).isEqualTo("[\"2s\",\"4s\"]");
            assertThat(stats.at("/capacity/window").asText()).isEqualTo("2s");
            assertThat(stats.at("/capacity/workerConcurrency").asInt()).isEqualTo(64);
            assertThat(get(base + "/metrics").body())
                    .contains("conveyor_rollup_tasks{status=\"SUCCEEDED\",type=\"echo\",window=\"4s\"}")
                    .contains("conveyor_rollup_latency_seconds{phase=\"end_to_end\",quantile=\"0.99\",type=\"echo\"")
                    .contains("conveyor_rollup_recommended_workers");

            // nothing more arrives: the windows after the last ones are empty, and say so
            await().atMost(WAIT).untilAsserted(() -> {
                JsonNode quiet = JSON.readTree(get(base + "/v1/stats").body());
                assertThat(quiet.at("/types/echo/2s/terminal").asLong()).isZero();
                assertThat(quiet.at("/types/echo/4s/terminal").asLong()).isZero();
                assertThat(quiet.at("/types/echo/2s/throughputPerSecond").asDouble())
                        .isZero();
            });
        }
    }

    private static long sum(Map<String, JsonNode> served, String type, String window, String field) {
        return served.values().stream()
                .filter(w -> w.path("type").asText().equals(type)
                        && w.path("window").asText().equals(window))
                .mapToLong(w -> w.at(field).asLong())
                .sum();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
