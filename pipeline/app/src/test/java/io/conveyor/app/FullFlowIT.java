package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole flow on a real broker, assembled as {@code conveyor run} assembles it: HTTP → Kafka →
 * worker → results → status table → HTTP.
 */
@ExtendWith(KafkaBrokerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FullFlowIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newHttpClient();
    private final Node node = new Node();
    private ConveyorConfig config;
    private String base;

    @BeforeAll
    void startPipeline(KafkaBroker broker, @TempDir Path stateDir) {
        config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("flow"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 3)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("workers"))
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MS, 50)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS, 100)
                .set(ConveyorConfig.HTTP_PORT, 0)
                .build();
        ApiServer api = Roles.all(node, config, Metrics.registry(node));
        base = "http://localhost:" + api.port();
        await().atMost(WAIT).until(() -> get("/health/ready").statusCode() == 200);
    }

    @AfterAll
    void stopPipeline() {
        node.close();
    }

    @Test
    void aSubmittedTaskIsAcceptedRunAndLookedUp() throws Exception {
        HttpResponse<String> accepted = post("/v1/tasks", "{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"}}");

        assertThat(accepted.statusCode()).isEqualTo(202);
        JsonNode body = json(accepted.body());
        String id = body.get("id").asText();
        assertThat(body.get("status").asText()).isEqualTo("QUEUED");
        assertThat(accepted.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);
        HttpResponse<String> rightAway = get("/v1/tasks/" + id);
        assertThat(rightAway.statusCode()).as("a lookup right after the 202").isEqualTo(200);

        JsonNode done = awaitStatus(id, TaskStatus.SUCCEEDED);
        assertThat(done.get("result").get("hello").asText()).isEqualTo("world");
        assertThat(done.get("attempt").asInt()).isEqualTo(1);
        assertThat(done.has("submittedAt") && done.has("startedAt") && done.has("finishedAt"))
                .isTrue();
    }

    @Test
    void aTaskWrittenStraightToKafkaIsRunAndItsResultPublished(KafkaBroker broker) throws Exception {
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        RecordMetadata md;
        try (KafkaProducer<String, String> plain = new KafkaProducer<>(props)) {
            md = plain.send(new ProducerRecord<>(
                            config.topics().tasks(io.conveyor.core.Priority.NORMAL),
                            "{\"type\":\"echo\",\"payload\":{\"via\":\"kcat\"}}"))
                    .get();
        }
        String id = md.topic() + "-" + md.partition() + "-" + md.offset();

        try (ResultsProbe results =
                new ResultsProbe(broker.bootstrapServers(), config.topics().results())) {
            assertThat(results.awaitTerminal(id, WAIT).status()).isEqualTo(TaskStatus.SUCCEEDED);
            // the rollups wrote its QUEUED change, with the id and time the worker gave it
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(results.poll().changes(id))
                            .filteredOn(change -> change.status() == TaskStatus.QUEUED)
                            .singleElement()
                            .satisfies(queued -> assertThat(queued.submittedAt().toEpochMilli())
                                    .isEqualTo(md.timestamp())));
        }
        assertThat(awaitStatus(id, TaskStatus.SUCCEEDED)
                        .get("result")
                        .get("via")
                        .asText())
                .isEqualTo("kcat");
    }

    @Test
    void aFailingTaskIsRetriedAndTheLookupShowsItsAttempts() throws Exception {
        String id = json(post("/v1/tasks", "{\"type\":\"fail\",\"payload\":{\"times\":1},\"maxAttempts\":3}")
                        .body())
                .get("id")
                .asText();

        JsonNode done = awaitStatus(id, TaskStatus.SUCCEEDED);

        assertThat(done.get("attempt").asInt()).isEqualTo(2);
        assertThat(done.get("result").get("succeededOnAttempt").asInt()).isEqualTo(2);
    }

    @Test
    void unknownTasksAreNotFoundAndBadSubmissionsNameTheField() throws Exception {
        HttpResponse<String> missing = get("/v1/tasks/no-such-task");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing.body()).get("error").get("code").asText()).isEqualTo("not_found");

        HttpResponse<String> bad = post("/v1/tasks", "{\"type\":\"echo\",\"priority\":\"urgent\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad.body()).get("error").get("field").asText()).isEqualTo("priority");
    }

    @Test
    void oneMetricsEndpointCarriesEveryRoleOfTheProcess() throws Exception {
        post("/v1/tasks", "{\"type\":\"echo\"}");
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(get("/metrics").body())
                        .contains("conveyor_tasks_submitted_total{priority=\"normal\",type=\"echo\"}")
                        .contains("conveyor_tasks_completed_total")
                        .contains("conveyor_worker_queue_depth")
                        .contains("conveyor_task_run_seconds_bucket")
                        .contains("vertx_http_server_requests_total")
                        .contains("kafka_consumer_")
                        .contains("kafka_producer_")
                        .contains("kafka_stream_")
                        .contains("jvm_memory_used_bytes"));
    }

    private JsonNode awaitStatus(String id, TaskStatus status) {
        return await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> {
                            HttpResponse<String> r = get("/v1/tasks/" + id);
                            return r.statusCode() == 200 ? json(r.body()) : null;
                        },
                        n -> n != null && n.get("status").asText().equals(status.name()));
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }
}
