package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.config;
import static io.conveyor.producers.ApiTestKit.registry;
import static io.conveyor.producers.Http.assertError;
import static io.conveyor.producers.Http.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.HealthCheck;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Lookups, liveness and readiness over real HTTP; these servers write nothing to Kafka. */
@ExtendWith(KafkaBrokerExtension.class)
class LookupAndHealthIT {
    private static final String VALID =
            "{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"},\"priority\":\"high\",\"key\":\"k1\"}";

    private static final Http http = new Http();
    private static final TaskCodec codec = new TaskCodec();
    private static KafkaBroker broker;

    @BeforeAll
    static void broker(KafkaBroker kafka) {
        broker = kafka;
    }

    @AfterAll
    static void close() {
        http.close();
    }

    // ---- lookups

    @Test
    void looksUpTasks() {
        TaskResult known = new TaskResult(
                "t-1",
                "echo",
                TaskStatus.RETRYING,
                1,
                "w1",
                Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-01-01T00:00:01Z"),
                Instant.parse("2026-01-01T00:00:02Z"),
                Instant.parse("2026-01-01T00:00:02Z"),
                null,
                new TaskError("timeout", "took too long"));
        try (ApiServer server = lookupServer(
                id -> CompletableFuture.completedFuture(id.equals("t-1") ? Optional.of(known) : Optional.empty()))) {
            HttpResponse<String> found = http.get(server, "/v1/tasks/t-1");
            assertThat(found.statusCode()).isEqualTo(200);
            assertThat(json(found)).isEqualTo(codec.toJson(known));

            assertError(http.get(server, "/v1/tasks/t-2"), 404, "not_found");
            // as for cancellations: no task id is longer than 256 characters
            assertThat(http.get(server, "/v1/tasks/" + "x".repeat(256)).statusCode())
                    .isEqualTo(404);
            JsonNode tooLong = assertError(http.get(server, "/v1/tasks/" + "x".repeat(257)), 400, "invalid_task");
            assertThat(tooLong.path("field").asText()).isEqualTo("id");
            assertThat(tooLong.path("message").asText()).isEqualTo("id must be 1 to 256 characters, but had 257");
            assertError(
                    http.send(server, "POST", "/v1/tasks", "application/json", VALID.getBytes(StandardCharsets.UTF_8)),
                    404,
                    "not_found");
        }
    }

    @Test
    void answers503WhileTheStatusTableIsUnavailable() {
        try (ApiServer server = lookupServer(
                id -> CompletableFuture.failedFuture(new StatusUnavailableException("rollups are REBALANCING")))) {
            HttpResponse<String> response = http.get(server, "/v1/tasks/t-1");

            JsonNode error = assertError(response, 503, "status_unavailable");
            assertThat(error.path("message").asText()).contains("REBALANCING");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        }
    }

    @Test
    void aFailingLookupIsAJson500() {
        try (ApiServer server =
                lookupServer(id -> CompletableFuture.failedFuture(new IllegalStateException("store closed")))) {
            assertError(http.get(server, "/v1/tasks/t-1"), 500, "lookup_failed");
        }
    }

    // ---- health and metrics

    @Test
    void reportsLivenessAndReadiness() {
        try (ApiServer up = ApiServer.builder(config(broker, Map.of()), registry())
                        .healthCheck(check("kafka", true))
                        .start();
                ApiServer down = ApiServer.builder(config(broker, Map.of()), registry())
                        .healthCheck(check("kafka", true))
                        .healthCheck(check("rollups", false))
                        .start();
                ApiServer broken = ApiServer.builder(config(broker, Map.of()), registry())
                        .healthCheck(
                                check("kafka", CompletableFuture.failedFuture(new IllegalStateException("no answer"))))
                        .start()) {
            HttpResponse<String> live = http.get(down, "/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(json(live).path("status").asText()).isEqualTo("UP");

            HttpResponse<String> ready = http.get(up, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(json(ready).path("status").asText()).isEqualTo("UP");
            assertThat(json(ready).at("/checks/kafka/ready").asBoolean()).isTrue();

            HttpResponse<String> notReady = http.get(down, "/health/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(json(notReady).path("status").asText()).isEqualTo("DOWN");
            assertThat(json(notReady).at("/checks/rollups/ready").asBoolean()).isFalse();
            assertThat(json(notReady).at("/checks/rollups/detail").asText()).isEqualTo("rollups is not ready");

            HttpResponse<String> failed = http.get(broken, "/health/ready");
            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(json(failed).at("/checks/kafka/detail").asText()).contains("kafka check failed");
        }
    }

    // ---- helpers

    private static ApiServer lookupServer(TaskStatusLookup lookup) {
        return ApiServer.builder(config(broker, Map.of()), registry())
                .lookup(lookup)
                .start();
    }

    private static HealthCheck check(String name, boolean ready) {
        return check(
                name,
                CompletableFuture.completedFuture(
                        new HealthCheck.Health(ready, ready ? name + " is ready" : name + " is not ready")));
    }

    private static HealthCheck check(String name, CompletionStage<HealthCheck.Health> answer) {
        return new HealthCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public CompletionStage<Health> check() {
                return answer;
            }
        };
    }
}
