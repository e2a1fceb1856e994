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
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import io.conveyor.rollups.Rollups;
import io.conveyor.rollups.StatusTopology;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two rollup instances (one application id, each holding some partitions of the results topic):
 * {@code GET /v1/tasks/{id}} on either finds every task, whichever instance holds it, and so does
 * a {@code conveyor api} process that forwards lookups to one of them ({@code api.status.url}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class RollupLookupIT {
    private static final int TASKS = 60;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Node> nodes = new java.util.ArrayList<>();

    /** One rollup process as {@code conveyor rollup} assembles it. */
    private record Instance(Rollups rollups, ApiServer server) {
        String url() {
            return "http://127.0.0.1:" + server.port();
        }

        KafkaStreams streams() {
            return rollups.streams().orElseThrow();
        }
    }

    /** Four partitions and two rollup instances' worth of settings, on fresh topics. */
    private static ConveyorConfig provisioned(KafkaBroker broker, String prefix) {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName(prefix))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 4)
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.HTTP_PORT, 0)
                .set(ConveyorConfig.ROLLUP_ADVERTISED_URL, "http://127.0.0.1")
                .build();
        TestClients.provision(broker.bootstrapServers(), config.topics());
        return config;
    }

    @AfterEach
    void stop() {
        nodes.forEach(Node::close);
        http.close();
    }

    @Test
    void eitherInstanceAndTheApiFindTasksHeldByTheOther(KafkaBroker broker, @TempDir Path state) throws Exception {
        ConveyorConfig config = provisioned(broker, "lookup");
        Instance a = rollup(config, state.resolve("a"));
        Instance b = rollup(config, state.resolve("b"));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(a.rollups().isRunning()).isTrue();
            assertThat(b.rollups().isRunning()).isTrue();
            assertThat(activePartitions(a)).isNotEmpty();
            assertThat(activePartitions(b)).isNotEmpty();
        });

        TaskLives lives = new TaskLives(broker.uniqueName("task"));
        try (var producer = TestClients.producer(broker.bootstrapServers())) {
            lives.write(producer, config.topics(), 0, TASKS);
            producer.flush();
        }
        Map<String, TaskStatus> finals = lives.finals();
        Map<HostInfo, Set<String>> byOwner = finals.keySet().stream()
                .collect(Collectors.groupingBy(
                        id -> a.streams()
                                .queryMetadataForKey(
                                        StatusTopology.STATUS_STORE,
                                        id,
                                        Serdes.String().serializer())
                                .activeHost(),
                        Collectors.toSet()));
        assertThat(byOwner).as("tasks on both instances").hasSize(2);

        ApiServer api = api(
                config.toBuilder().set(ConveyorConfig.API_STATUS_URL, a.url()).build());
        for (Instance asked : List.of(a, b)) {
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> finals.forEach((id, status) -> assertThat(status(asked.url(), id))
                            .as("%s on %s", id, asked.url())
                            .isEqualTo(status.name())));
        }
        String apiUrl = "http://127.0.0.1:" + api.port();
        finals.forEach((id, status) ->
                assertThat(status(apiUrl, id)).as("%s via the API", id).isEqualTo(status.name()));

        for (String url : List.of(a.url(), b.url(), apiUrl)) {
            HttpResponse<String> unknown = get(url, "/v1/tasks/no-such-task");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("no task with id 'no-such-task'");
        }
    }

    @Test
    void whenAnInstanceLeavesTheOtherTakesOverItsTasks(KafkaBroker broker, @TempDir Path state) throws Exception {
        ConveyorConfig config = provisioned(broker, "leave");
        TaskLives lives = new TaskLives(broker.uniqueName("task"));
        try (var producer = TestClients.producer(broker.bootstrapServers())) {
            lives.write(producer, config.topics(), 0, TASKS);
            producer.flush();
        }
        Instance a = rollup(config, state.resolve("a"));
        Node bNode = new Node();
        nodes.add(bNode);
        Instance b = rollup(bNode, config, state.resolve("b"));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(activePartitions(a)).isNotEmpty();
            assertThat(activePartitions(b)).isNotEmpty();
        });
        await().atMost(TIMEOUT)
                .untilAsserted(() -> lives.finals()
                        .forEach((id, status) -> assertThat(status(a.url(), id)).isEqualTo(status.name())));

        bNode.close();

        // while the group rebalances, a lookup may answer 503; then a holds every partition
        await().atMost(TIMEOUT)
                .untilAsserted(() -> lives.finals()
                        .forEach((id, status) -> assertThat(status(a.url(), id)).isEqualTo(status.name())));
        assertThat(activePartitions(a)).hasSize(4);
    }

    private Instance rollup(ConveyorConfig config, Path stateDir) {
        Node node = new Node();
        nodes.add(node);
        return rollup(node, config, stateDir);
    }

    /** What {@code conveyor rollup} starts: the HTTP server first, then the rollups. */
    private static Instance rollup(Node node, ConveyorConfig config, Path stateDir) {
        ConveyorConfig own = config.toBuilder()
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .build();
        var registry = Metrics.registry(node);
        Rollups rollups = Roles.rollups(node, own, registry);
        ApiServer server = Roles.startRollups(
                rollups, Roles.http(node, Roles.lookups(ApiServer.builder(own, registry), rollups), List.of()));
        return new Instance(rollups, server);
    }

    /** What {@code conveyor api} starts, lookups only. */
    private ApiServer api(ConveyorConfig config) {
        Node node = new Node();
        nodes.add(node);
        var registry = Metrics.registry(node);
        return Roles.http(node, ApiServer.builder(config, registry).lookup(Roles.apiLookups(node, config)), List.of());
    }

    private static Set<Integer> activePartitions(Instance instance) {
        return instance.streams().metadataForLocalThreads().stream()
                .flatMap(t -> t.activeTasks().stream())
                .flatMap(t -> t.topicPartitions().stream())
                .map(tp -> tp.partition())
                .collect(Collectors.toSet());
    }

    private String status(String base, String id) {
        HttpResponse<String> response = get(base, "/v1/tasks/" + id);
        assertThat(response.statusCode())
                .as("GET %s/v1/tasks/%s: %s", base, id, response.body())
                .isEqualTo(200);
        JsonNode view;
        try {
            view = Json.mapper().readTree(response.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(view.path("id").asText()).isEqualTo(id);
        return view.path("status").asText();
    }

    private HttpResponse<String> get(String base, String path) {
        try {
            return http.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
