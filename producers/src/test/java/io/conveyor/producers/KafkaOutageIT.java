package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.KafkaReadiness;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.testing.TcpProxy;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka unreachable (every connection to the broker frozen, as in a network partition): the API
 * answers {@code 503 kafka_unavailable} with {@code Retry-After} within {@code
 * api.submit.timeout.ms} and then at once, never a {@code 202}, {@code /health/ready} turns red,
 * and both recover by themselves when Kafka is back. Every task that got a {@code 202} is on its
 * topic. (The same against a three-broker cluster frozen for 60 s: the cluster tests.)
 */
class KafkaOutageIT {
    private static final long SUBMIT_TIMEOUT_MS = 3_000;

    private static TcpProxy proxy;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() throws Exception {
        int brokerPort;
        try (ServerSocket free = new ServerSocket(0)) {
            brokerPort = free.getLocalPort();
        }
        proxy = TcpProxy.start(brokerPort);
        // clients learn the relay's address from the broker's metadata, so every request goes through it
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                .port(brokerPort)
                .override("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port())
                .build());
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void whileKafkaIsUnreachableTheApiAnswers503AndRecoversByItself() throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, "127.0.0.1:" + proxy.port())
                .set(ConveyorConfig.HTTP_HOST, "127.0.0.1")
                .set(ConveyorConfig.HTTP_PORT, 0)
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1)
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("outage"))
                .set(ConveyorConfig.API_SUBMIT_TIMEOUT_MS, SUBMIT_TIMEOUT_MS)
                .build();
        List<String> accepted = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", config.bootstrapServers()));
                Http http = new Http()) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
            try (ApiServer api = ApiServer.builder(config, ApiTestKit.registry())
                    .acceptTasks()
                    .healthCheck(new KafkaReadiness(
                            admin,
                            config.topics().all().stream().map(t -> t.name()).toList(),
                            Duration.ofSeconds(1),
                            Clock.systemUTC()))
                    .start()) {
                for (int i = 0; i < 10; i++) {
                    accepted.add(acceptedId(http.postJson(api, task(i))));
                }
                assertThat(http.get(api, "/health/ready").statusCode()).isEqualTo(200);

                proxy.freeze();
                List<Long> millis = new ArrayList<>();
                long outageStart = System.nanoTime();
                try {
                    while (System.nanoTime() - outageStart
                            < Duration.ofSeconds(10).toNanos()) {
                        long sent = System.nanoTime();
                        HttpResponse<String> answer = http.postJson(api, task(100 + millis.size()));
                        millis.add((System.nanoTime() - sent) / 1_000_000);
                        assertThat(answer.statusCode())
                                .as("answer %d during the outage: %s", millis.size(), answer.body())
                                .isEqualTo(503);
                        assertThat(Json.mapper()
                                        .readTree(answer.body())
                                        .path("error")
                                        .path("code")
                                        .asText())
                                .isEqualTo("kafka_unavailable");
                        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
                    }
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> http.get(api, "/health/ready").statusCode() == 503);
                } finally {
                    proxy.thaw();
                }
                List<Long> sorted = millis.stream().sorted().toList();
                System.out.printf(
                        "Kafka unreachable for 10 s: %d submissions answered 503 kafka_unavailable; the first in %d ms,"
                                + " median %d ms, slowest %d ms%n",
                        millis.size(), millis.getFirst(), sorted.get(sorted.size() / 2), sorted.getLast());
                // never a hang past the timeout; once Kafka is known to be away, at once
                assertThat(millis).allSatisfy(ms -> assertThat(ms).isLessThan(SUBMIT_TIMEOUT_MS + 2_000));
                assertThat(millis.stream().sorted().toList().get(millis.size() / 2))
                        .as("median answer during the outage, ms")
                        .isLessThan(100);

                await().atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            HttpResponse<String> answer = http.postJson(api, task(1_000 + accepted.size()));
                            if (answer.statusCode() == 202) {
                                accepted.add(acceptedId(answer));
                                return true;
                            }
                            return false;
                        });
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> http.get(api, "/health/ready").statusCode() == 200);
            }
        }
        // whatever got a 202 is on the topic
        Set<String> written = new java.util.HashSet<>();
        for (ConsumerRecord<String, byte[]> r : ApiTestKit.read(
                new BrokerAt(config.bootstrapServers()),
                config.topics().tasks(io.conveyor.core.Priority.NORMAL),
                accepted.size())) {
            written.add(Json.parse(r.value()).path("id").asText());
        }
        assertThat(written).containsAll(accepted);
    }

    private static String task(int n) {
        return "{\"type\":\"echo\",\"payload\":" + n + "}";
    }

    private static String acceptedId(HttpResponse<String> answer) throws Exception {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        JsonNode body = Json.mapper().readTree(answer.body());
        return body.path("id").asText();
    }

    /** The broker as the API reaches it, through the relay. */
    private record BrokerAt(String bootstrapServers) implements io.conveyor.infra.kafka.KafkaBroker {
        @Override
        public void close() {}
    }
}
