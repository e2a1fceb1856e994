package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.endOffset;
import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.read;
import static io.conveyor.producers.ApiTestKit.registry;
import static io.conveyor.producers.Http.TIMEOUT;
import static io.conveyor.producers.Http.assertError;
import static io.conveyor.producers.Http.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.core.TaskCodec;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.internal.OpsRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Batches, cancellations, idempotency keys, the OpenAPI document and label bounds, on a real broker. */
@ExtendWith(KafkaBrokerExtension.class)
class SubmissionApiIT {
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

    // ---- batches

    @Test
    void aJsonArrayBatchWritesTheValidItemsAndAnswersEachInOrder() {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ApiServer server =
                ApiServer.builder(config, registry()).acceptTasks().start()) {
            HttpResponse<String> response = http.postBatch(
                    server,
                    "application/json",
                    "[{\"type\":\"echo\",\"payload\":1},{\"type\":\"echo\",\"priority\":\"urgent\"},"
                            + "{\"type\":\"echo\",\"payload\":3,\"priority\":\"low\"},7]");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(207);
            JsonNode body = json(response);
            assertThat(body.path("accepted").asInt()).isEqualTo(2);
            assertThat(body.path("rejected").asInt()).isEqualTo(2);
            JsonNode items = body.path("items");
            assertThat(items).hasSize(4);
            assertThat(items.get(0).path("status").asText()).isEqualTo("QUEUED");
            assertThat(items.get(1).at("/error/field").asText()).isEqualTo("priority");
            assertThat(items.get(1).at("/error/code").asText()).isEqualTo("invalid_task");
            assertThat(items.get(2).path("status").asText()).isEqualTo("QUEUED");
            assertThat(items.get(3).at("/error/code").asText()).isEqualTo("invalid_task");

            assertThat(read(broker, config.topics().tasks(Priority.NORMAL), 1))
                    .extracting(r -> idOf(r))
                    .containsExactly(items.get(0).path("id").asText());
            assertThat(read(broker, config.topics().tasks(Priority.LOW), 1))
                    .extracting(r -> idOf(r))
                    .containsExactly(items.get(2).path("id").asText());
        }
    }

    @Test
    void anNdjsonBatchOfValidTasksIs200AndCountsItsSize() {
        ConveyorConfig config = provisioned(broker, Map.of());
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                ApiServer.builder(config, registry).acceptTasks().start()) {
            String ndjson = IntStream.range(0, 250)
                    .mapToObj(i -> "{\"type\":\"echo\",\"payload\":" + i + ",\"key\":\"k\"}")
                    .collect(Collectors.joining("\r\n", "", "\n\n"));
            HttpResponse<String> response = http.postBatch(server, "application/x-ndjson", ndjson);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode items = json(response).path("items");
            assertThat(items).hasSize(250);
            List<String> ids = new ArrayList<>();
            items.forEach(item -> ids.add(item.path("id").asText()));
            List<ConsumerRecord<String, byte[]>> records =
                    read(broker, config.topics().tasks(Priority.NORMAL), 250);
            assertThat(records).extracting(SubmissionApiIT::idOf).containsExactlyElementsOf(ids);
            List<String> scrape = registry.scrape().lines().toList();
            assertThat(scrape)
                    .contains("conveyor_api_batch_size_count 1")
                    .contains("conveyor_api_batch_size_sum 250.0")
                    .contains("conveyor_api_batch_size_bucket{le=\"500.0\"} 1")
                    .contains("conveyor_api_batch_size_bucket{le=\"200.0\"} 0")
                    .contains("conveyor_tasks_submitted_total{priority=\"normal\",type=\"echo\"} 250.0");
        }
    }

    @Test
    void refusesWholeBatchesThatCannotBeSplitOrAreTooLarge() {
        ConveyorConfig config = provisioned(broker, Map.of("api.batch.max", "3", "api.batch.max.body.bytes", "2000"));
        try (ApiServer server =
                ApiServer.builder(config, registry()).acceptTasks().start()) {
            String four = "[" + String.join(",", java.util.Collections.nCopies(4, "{\"type\":\"echo\"}")) + "]";
            JsonNode tooMany = assertError(http.postBatch(server, "application/json", four), 413, "too_large");
            assertThat(tooMany.path("message").asText()).contains("at most 3").contains("api.batch.max");
            assertError(
                    http.postBatch(server, "application/x-ndjson", "{\"type\":\"echo\"}\n".repeat(4)),
                    413,
                    "too_large");
            JsonNode tooBig = assertError(
                    http.postBatch(server, "application/json", "[" + "{\"type\":\"echo\"},".repeat(200) + "]"),
                    413,
                    "too_large");
            assertThat(tooBig.path("message").asText()).contains("api.batch.max.body.bytes");
            assertError(http.postBatch(server, "application/json", "[]"), 400, "invalid_task");
            assertError(http.postBatch(server, "application/json", "{\"type\":\"echo\"}"), 400, "invalid_task");
            assertError(http.postBatch(server, "application/json", "[{\"type\":"), 400, "invalid_task");
            assertError(http.postBatch(server, "application/x-ndjson", "\n \n"), 400, "invalid_task");
            assertError(http.postBatch(server, "text/plain", "[]"), 415, "unsupported_media_type");
            assertThat(endOffset(broker, config.topics().tasks(Priority.NORMAL)))
                    .isZero();
        }
    }

    // ---- cancellation

    @Test
    void deleteWritesACancellationToTheControlTopic() {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ApiServer server =
                ApiServer.builder(config, registry()).acceptTasks().start()) {
            HttpResponse<String> response = http.delete(server, "/v1/tasks/task-42");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            assertThat(json(response))
                    .isEqualTo(Json.mapper()
                            .createObjectNode()
                            .put("id", "task-42")
                            .put("status", "CANCEL_REQUESTED"));
            ConsumerRecord<String, byte[]> record =
                    read(broker, config.topics().control(), 1).getFirst();
            assertThat(record.key()).isEqualTo("task-42");
            assertThat(TaskCodec.isCancellation(record.value())).isTrue();
            assertThat(new String(record.value(), StandardCharsets.UTF_8)).startsWith("{\"action\":\"cancel\"");
            assertError(http.delete(server, "/v1/tasks/" + "x".repeat(300)), 400, "invalid_task");
        }
    }

    // ---- OpenAPI

    @Test
    void theOpenApiDocumentDescribesEveryRoute() throws Exception {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ApiServer server = ApiServer.builder(config, registry())
                .acceptTasks()
                .lookup(id -> CompletableFuture.completedFuture(java.util.Optional.empty()))
                .start()) {
            HttpResponse<String> response = http.get(server, "/openapi.yaml");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/yaml");
            assertThat(response.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(OpsRoutes.openApi());

            JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(response.body());
            assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
            assertThat(server.routes())
                    .containsExactlyInAnyOrder(
                            "GET /health/live",
                            "GET /health/ready",
                            "GET /metrics",
                            "GET /openapi.yaml",
                            "POST /v1/tasks",
                            "POST /v1/tasks/batch",
                            "DELETE /v1/tasks/:id",
                            "GET /v1/tasks/:id");
            for (String route : server.routes()) {
                String method = route.substring(0, route.indexOf(' ')).toLowerCase(java.util.Locale.ROOT);
                String path = route.substring(route.indexOf(' ') + 1).replaceAll(":(\\w+)", "{$1}");
                assertThat(doc.path("paths").path(path).has(method))
                        .as("OpenAPI operation for %s", route)
                        .isTrue();
            }
            Set<String> refs = new HashSet<>();
            collectRefs(doc, refs);
            for (String ref : refs) {
                assertThat(doc.at(ref.substring(1)).isMissingNode())
                        .as("target of %s", ref)
                        .isFalse();
            }
        }
    }

    private static void collectRefs(JsonNode node, Set<String> refs) {
        if (node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        node.forEach(child -> collectRefs(child, refs));
    }

    // ---- idempotency

    @Test
    void anIdempotencyKeyGivesTheFirstIdAcrossTwoInstancesAndCreatesOneTask() throws Exception {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ResultsLookup lookup = new ResultsLookup(broker.clientConfig(), config.topics());
                ApiServer a = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .lookup(lookup)
                        .start();
                ApiServer b = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .lookup(lookup)
                        .start()) {
            String task = "{\"type\":\"echo\",\"idempotencyKey\":\"order-7\"}";
            HttpResponse<String> first = http.postJson(a, task);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
            String id = json(first).path("id").asText();
            assertThat(json(first).has("duplicate")).isFalse();

            HttpResponse<String> again = http.postJson(a, task);
            assertThat(json(again).path("id").asText()).isEqualTo(id);
            assertThat(json(again).path("duplicate").asBoolean()).isTrue();

            await().atMost(TIMEOUT).until(() -> lookup.knows(id));
            HttpResponse<String> elsewhere = http.postJson(b, task);
            assertThat(elsewhere.statusCode()).isEqualTo(202);
            assertThat(json(elsewhere).path("id").asText()).isEqualTo(id);
            assertThat(json(elsewhere).path("duplicate").asBoolean()).isTrue();

            HttpResponse<String> other = http.postJson(b, "{\"type\":\"echo\",\"idempotencyKey\":\"order-8\"}");
            assertThat(json(other).path("id").asText()).isNotEqualTo(id);
            assertThat(read(broker, config.topics().tasks(Priority.NORMAL), 2))
                    .extracting(SubmissionApiIT::idOf)
                    .containsExactly(id, json(other).path("id").asText());
        }
    }

    @Test
    void concurrentRepeatsOfOneKeyShareOneIdEvenWithoutAStatusTable() {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ApiServer a = ApiServer.builder(config, registry()).acceptTasks().start();
                ApiServer b =
                        ApiServer.builder(config, registry()).acceptTasks().start()) {
            byte[] task = "{\"type\":\"echo\",\"idempotencyKey\":\"k-1\"}".getBytes(StandardCharsets.UTF_8);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(http.sendAsync(i % 2 == 0 ? a : b, "POST", "/v1/tasks", "application/json", task));
            }
            Set<String> ids = answers.stream()
                    .map(CompletableFuture::join)
                    .peek(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(202))
                    .map(r -> json(r).path("id").asText())
                    .collect(Collectors.toSet());

            assertThat(ids).hasSize(1);
            // one record per instance at most: each instance writes the key once, under the same id
            List<ConsumerRecord<String, byte[]>> records =
                    read(broker, config.topics().tasks(Priority.NORMAL), 1);
            assertThat(records)
                    .hasSizeLessThanOrEqualTo(2)
                    .extracting(SubmissionApiIT::idOf)
                    .containsOnly(ids.iterator().next());
        }
    }

    @Test
    void aKeyRepeatedAfterTheWindowCreatesANewTask() {
        ConveyorConfig config = provisioned(broker, Map.of("api.idempotency.window.ms", "60000"));
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-23T10:00:30Z"));
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        try (ResultsLookup lookup = new ResultsLookup(broker.clientConfig(), config.topics());
                ApiServer a = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .lookup(lookup)
                        .clock(clock)
                        .start();
                ApiServer b = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .lookup(lookup)
                        .clock(clock)
                        .start()) {
            String task = "{\"type\":\"echo\",\"idempotencyKey\":\"nightly\"}";
            String first = json(http.postJson(a, task)).path("id").asText();
            await().atMost(TIMEOUT).until(() -> lookup.knows(first));

            now.set(now.get().plus(Duration.ofSeconds(45))); // next bucket, still within the window
            JsonNode across = json(http.postJson(b, task));
            assertThat(across.path("id").asText()).isEqualTo(first);
            assertThat(across.path("duplicate").asBoolean()).isTrue();

            now.set(now.get().plus(Duration.ofSeconds(20))); // 65 s after the first: past the window
            JsonNode later = json(http.postJson(a, task));
            assertThat(later.path("id").asText()).isNotEqualTo(first);
            assertThat(later.has("duplicate")).isFalse();
            assertThat(read(broker, config.topics().tasks(Priority.NORMAL), 2)).hasSize(2);
        }
    }

    // ---- labels

    @Test
    void taskTypeLabelsAreBounded() {
        ConveyorConfig config = provisioned(broker, Map.of());
        PrometheusMeterRegistry registry = registry();
        try (ApiServer server =
                ApiServer.builder(config, registry).acceptTasks().start()) {
            String batch = IntStream.range(0, 150)
                    .mapToObj(i -> "{\"type\":\"type-" + i + "\"}")
                    .collect(Collectors.joining(",", "[", "]"));
            assertThat(http.postBatch(server, "application/json", batch).statusCode())
                    .isEqualTo(200);

            String scrape = registry.scrape();
            long series = scrape.lines()
                    .filter(l -> l.startsWith("conveyor_tasks_submitted_total{"))
                    .count();
            assertThat(series).isEqualTo(101);
            assertThat(scrape).contains("conveyor_tasks_submitted_total{priority=\"normal\",type=\"other\"} 50.0");
        }
    }

    private static String idOf(ConsumerRecord<String, byte[]> record) {
        try {
            return Json.parse(record.value()).path("id").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
