package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.config;
import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.registry;
import static io.conveyor.producers.Http.TIMEOUT;
import static io.conveyor.producers.Http.assertError;
import static io.conveyor.producers.Http.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The API server over real HTTP against a real broker. Submissions that must reach Kafka use a
 * server and topics of their own; the rejection tests share one accepting server, since nothing
 * they send may be written. {@link HostileRequestsIT} fuzzes the API.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ApiServerIT {

    private static final String VALID =
            "{\"type\":\"echo\",\"payload\":{\"hello\":\"world\"},\"priority\":\"high\",\"key\":\"k1\"}";

    private static final Http http = new Http();
    private static final TaskCodec codec = new TaskCodec();
    private static KafkaBroker broker;
    private static ApiServer shared;

    @BeforeAll
    static void startSharedServer(KafkaBroker kafka) {
        broker = kafka;
        ConveyorConfig config = provisioned(broker, Map.of());
        shared = ApiServer.builder(config, registry()).acceptTasks().start();
    }

    @AfterAll
    static void stop() {
        if (shared != null) {
            shared.close();
        }
        http.close();
    }

    // ---- submission

    @Test
    void acceptedTaskIsOneRecordOnItsPriorityTopic() throws Exception {
        ConveyorConfig config = provisioned(broker, Map.of());
        try (ApiServer server =
                ApiServer.builder(config, registry()).acceptTasks().start()) {
            HttpResponse<String> response = http.postJson(server, VALID);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            JsonNode body = json(response);
            String id = body.path("id").asText();
            assertThat(id).isNotBlank();
            assertThat(body)
                    .isEqualTo(
                            JsonNodeFactory.instance.objectNode().put("id", id).put("status", "QUEUED"));
            assertThat(response.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);

            ConsumerRecord<String, byte[]> record = readOne(config.topics().tasks(Priority.HIGH));
            assertThat(record.key()).isEqualTo("k1");
            Task task = decode(record);
            assertThat(task.id()).isEqualTo(id);
            assertThat(task.type()).isEqualTo("echo");
            assertThat(task.payload())
                    .isEqualTo(JsonNodeFactory.instance.objectNode().put("hello", "world"));
            assertThat(task.priority()).isEqualTo(Priority.HIGH);
            assertThat(task.attempt()).isEqualTo(1);
            assertThat(task.maxAttempts()).isEqualTo(Task.DEFAULT_MAX_ATTEMPTS);

            assertThat(endOffset(config.topics().tasks(Priority.HIGH))).isOne();
            assertThat(endOffset(config.topics().tasks(Priority.NORMAL))).isZero();
            // the QUEUED change is the rollups' to write (ArrivalTopology), not the API's
            assertThat(endOffset(config.topics().results())).isZero();
        }
    }

    // ---- rejections

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.conveyor.producers.BadRequest#all")
    void answersBadRequestsWithAJsonError(BadRequest bad) {
        HttpResponse<String> response = http.send(shared, bad.method(), bad.path(), bad.contentType(), bad.body());

        assertThat(response.statusCode()).as(response.body()).isLessThan(500);
        JsonNode error = assertError(response, bad.status(), bad.code());
        if (bad.field() == null) {
            assertThat(error.has("field")).as("field in %s", error).isFalse();
        } else {
            assertThat(error.path("field").asText()).as("field in %s", error).isEqualTo(bad.field());
            assertThat(error.path("message").asText()).contains(bad.field());
        }
    }

    @Test
    void limitsAndAcceptsStreamedBodies() {
        assertError(http.postStreamed(shared, BadRequest.largeTask(BadRequest.ONE_MIB + 1), false), 413, "too_large");
        assertError(http.postStreamed(shared, BadRequest.largeTask(BadRequest.ONE_MIB + 1), true), 413, "too_large");
        assertThat(http.postStreamed(shared, VALID.getBytes(StandardCharsets.UTF_8), false)
                        .statusCode())
                .isEqualTo(202);
        assertThat(http.postStreamed(shared, VALID.getBytes(StandardCharsets.UTF_8), true)
                        .statusCode())
                .isEqualTo(202);
    }

    @Test
    void answersAMalformedPathWithAJsonError() {
        try (ApiServer server = ApiServer.builder(config(broker, Map.of()), registry())
                .lookup(id -> CompletableFuture.completedFuture(Optional.empty()))
                .start()) {
            assertError(Http.raw(server, "GET /v1/tasks/%ZZ HTTP/1.1\r\nHost: localhost"), 400, "bad_request");
        }
        assertError(
                Http.raw(shared, "POST /v1/%ZZ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0"), 400, "bad_request");
    }

    // ---- Kafka refusing a task

    @Test
    void startFailsClearlyWhenTheTopicsAreMissing() {
        String clientId = broker.uniqueName("api");
        ConveyorConfig config =
                config(broker, Map.of("kafka.producer.max.block.ms", "500", "kafka.producer.client.id", clientId));

        assertThatThrownBy(() ->
                        ApiServer.builder(config, registry()).acceptTasks().start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(config.topics().tasks(Priority.HIGH))
                .hasMessageContaining("conveyor topics");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(producerThreads(clientId)).isEmpty());
    }

    @Test
    void aWriteKafkaDoesNotAcknowledgeIsA503() throws Exception {
        ConveyorConfig config = provisioned(
                broker,
                Map.of(
                        "kafka.producer.max.block.ms", "1000",
                        "kafka.producer.request.timeout.ms", "1000",
                        "kafka.producer.delivery.timeout.ms", "2000"));
        try (ApiServer server =
                        ApiServer.builder(config, registry()).acceptTasks().start();
                Admin admin = Admin.create(broker.clientConfig())) {
            // the task topic disappears after the server started; its results topic stays
            String tasks = config.topics().tasks(Priority.NORMAL);
            admin.deleteTopics(List.of(tasks)).all().get();
            await().atMost(TIMEOUT)
                    .until(() -> !admin.listTopics().names().get().contains(tasks));

            HttpResponse<String> response = http.postJson(server, "{\"type\":\"echo\"}");

            JsonNode error = assertError(response, 503, "kafka_unavailable");
            assertThat(error.path("message").asText()).contains("not accepted");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        }
    }

    @Test
    void aTaskLargerThanKafkaAcceptsIs413AndNotWritten() {
        ConveyorConfig config = provisioned(broker, Map.of("kafka.producer.max.request.size", "10000"));
        try (ApiServer server =
                ApiServer.builder(config, registry()).acceptTasks().start()) {
            HttpResponse<String> response =
                    http.send(server, "POST", "/v1/tasks", "application/json", BadRequest.largeTask(20_000));

            JsonNode error = assertError(response, 413, "too_large");
            assertThat(error.path("message").asText()).contains("Kafka refused");
            assertThat(endOffset(config.topics().tasks(Priority.NORMAL))).isZero();
        }
    }

    @Test
    void servesPrometheusAndOpenMetrics() {
        assertThat(http.postJson(shared, VALID).statusCode()).isEqualTo(202);

        HttpResponse<String> prometheus = http.get(shared, "/metrics");
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        assertThat(prometheus.body())
                .contains("conveyor_tasks_submitted_total{priority=\"high\",type=\"echo\"}")
                .contains("vertx_http_server_requests_total");

        HttpResponse<String> openMetrics =
                http.get(shared, "/metrics", "Accept", "application/openmetrics-text; version=1.0.0");
        assertThat(openMetrics.statusCode()).isEqualTo(200);
        assertThat(openMetrics.headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/openmetrics-text"));
        assertThat(openMetrics.body())
                .contains("conveyor_tasks_submitted_total")
                .endsWith("# EOF\n");
    }

    // ---- helpers

    private static KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> props = broker.clientConfig();
        props.put("isolation.level", "read_committed");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The only record of a one-partition topic, waiting for it to arrive. */
    private static ConsumerRecord<String, byte[]> readOne(String topic) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (var consumer = consumer()) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(consumer.assignment());
            await().atMost(TIMEOUT).untilAsserted(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                assertThat(records).isNotEmpty();
            });
        }
        assertThat(records).as("records on %s", topic).hasSize(1);
        return records.getFirst();
    }

    private static long endOffset(String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (var consumer = consumer()) {
            return consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
        }
    }

    private static Task decode(ConsumerRecord<String, byte[]> record) throws Exception {
        return codec.decode(
                record.value(),
                new RecordOrigin(
                        record.topic(),
                        record.partition(),
                        record.offset(),
                        Instant.ofEpochMilli(record.timestamp()),
                        Priority.NORMAL));
    }

    private static TaskResult decodeResult(ConsumerRecord<String, byte[]> record) throws Exception {
        return codec.decodeResult(record.value());
    }

    /** The live threads of the Kafka producer with this client id. */
    private static Collection<String> producerThreads(String clientId) {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(name -> name.equals("kafka-producer-network-thread | " + clientId))
                .toList();
    }
}
