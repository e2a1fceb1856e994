package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The raw Kafka settings a user may pass for each kind of group start every role and run a task:
 * each consumer gets only those that apply to it (a group-only setting never reaches the consumers
 * without a group, a setting of one group protocol never the other's), as {@code conveyor run}
 * assembles the roles.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ClientSettingsIT {

    static Stream<Arguments> settings() {
        Map<String, String> common = Map.of(
                "kafka.client.rack", "rack-a",
                "kafka.metadata.max.age.ms", "60000",
                "kafka.request.timeout.ms", "20000",
                "kafka.streams.main.consumer.heartbeat.interval.ms", "2000",
                "kafka.producer.compression.type", "lz4");
        return Stream.of(
                Arguments.of(
                        "consumer protocol",
                        with(
                                common,
                                Map.of(
                                        "kafka.consumer.group.remote.assignor", "range",
                                        "kafka.consumer.group.instance.id", "worker-a",
                                        "kafka.consumer.max.poll.interval.ms", "120000",
                                        "kafka.consumer.isolation.level", "read_committed",
                                        // for every client: reaches only the consumers that take it
                                        "kafka.group.protocol", "consumer"))),
                Arguments.of(
                        "classic protocol",
                        with(
                                common,
                                Map.of(
                                        "kafka.consumer.group.protocol", "classic",
                                        "kafka.consumer.session.timeout.ms", "8000",
                                        "kafka.consumer.heartbeat.interval.ms", "1000",
                                        "kafka.consumer.partition.assignment.strategy",
                                                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                                        "kafka.consumer.enable.auto.commit", "false"))),
                Arguments.of(
                        "share group",
                        with(
                                common,
                                Map.of(
                                        "worker.mode", "share",
                                        "kafka.consumer.group.remote.assignor", "range",
                                        "kafka.consumer.auto.offset.reset", "earliest",
                                        "kafka.consumer.isolation.level", "read_committed"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void everyRoleStartsAndRunsATask(String kind, Map<String, String> settings, KafkaBroker broker, @TempDir Path dir)
            throws Exception {
        ConveyorConfig.Builder builder = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("settings"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 2)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("workers"))
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, dir)
                .set(ConveyorConfig.HTTP_PORT, 0);
        settings.forEach((key, value) -> builder.set(key, value, "test"));
        HttpClient http = HttpClient.newHttpClient();
        try (Node node = new Node()) {
            ApiServer api = Roles.all(node, builder.build(), Metrics.registry(node));
            String base = "http://localhost:" + api.port();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> get(http, base + "/health/ready").statusCode() == 200);

            HttpResponse<String> accepted = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":1}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String id = Json.mapper().readTree(accepted.body()).path("id").asText();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode view = Json.mapper()
                        .readTree(get(http, base + "/v1/tasks/" + id).body());
                assertThat(view.path("status").asText())
                        .as("%s: %s", kind, view)
                        .isEqualTo("SUCCEEDED");
            });
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
        Map<String, String> all = new LinkedHashMap<>(a);
        all.putAll(b);
        return all;
    }
}
