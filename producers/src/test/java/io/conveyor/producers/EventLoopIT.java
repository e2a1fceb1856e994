package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.registry;
import static io.conveyor.producers.Http.TIMEOUT;
import static io.conveyor.producers.Http.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The event loop never blocks: the API runs with Vert.x's blocked-thread checker at 10 ms and the
 * test fails on any warning, under load and while the producer has no metadata for a topic (where
 * {@code KafkaProducer.send} blocks for {@code max.block.ms}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class EventLoopIT {
    private static final Http http = new Http();
    private static final byte[] ONE = "{\"type\":\"echo\",\"payload\":{\"n\":1}}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BATCH = IntStream.range(0, 100)
            .mapToObj(i -> "{\"type\":\"echo\",\"priority\":\"low\",\"payload\":" + i + "}")
            .collect(Collectors.joining(",", "[", "]"))
            .getBytes(StandardCharsets.UTF_8);
    private static KafkaBroker broker;

    @BeforeAll
    static void broker(KafkaBroker kafka) {
        broker = kafka;
    }

    @AfterAll
    static void close() {
        http.close();
    }

    private static VertxOptions strict() {
        return new VertxOptions()
                .setBlockedThreadCheckInterval(10)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(10)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(10)
                .setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    }

    @Test
    void theCheckerWarningsAreCaptured() {
        Vertx vertx = Vertx.vertx(strict());
        try (BlockedThreadLog log = new BlockedThreadLog()) {
            vertx.runOnContext(v -> {
                try {
                    Thread.sleep(200); // blocks the event loop on purpose: the canary
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await().atMost(TIMEOUT).until(() -> !log.inBlockingCalls().isEmpty());
            assertThat(log.inBlockingCalls().getFirst()).contains("java.lang.Thread.sleep");
        } finally {
            vertx.close();
        }
    }

    @Test
    void submittingUnderLoadAndWithColdMetadataNeverBlocksTheEventLoop() throws Exception {
        ConveyorConfig config = provisioned(
                broker,
                Map.of(
                        "kafka.producer.max.block.ms", "1500",
                        "kafka.producer.delivery.timeout.ms", "3000",
                        "kafka.producer.request.timeout.ms", "1000"));
        try (ApiServer server = ApiServer.builder(config, registry())
                        .acceptTasks()
                        .vertxOptions(strict())
                        .start();
                Admin admin = Admin.create(broker.clientConfig())) {
            // warm-up, not watched: the first requests load classes and run interpreted code, which
            // on a busy 2-core machine can take over 10 ms without anything blocking
            load(server, 5);
            assertError(http.postJson(server, "{\"type\":7}"), 400, "invalid_task");
            assertThat(http.delete(server, "/v1/tasks/warm-up").statusCode()).isEqualTo(202);

            BlockedThreadLog log = new BlockedThreadLog();
            try {
                load(server, 20);
                coldMetadata(server, admin, config);
                assertThat(log.inBlockingCalls())
                        .as("blocked-thread warnings in blocking calls (all warnings: %s)", log.warnings())
                        .isEmpty();
            } finally {
                log.close();
            }
        }
    }

    private static void load(ApiServer server, int rounds) {
        for (int round = 0; round < rounds; round++) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                answers.add(http.sendAsync(server, "POST", "/v1/tasks", "application/json", ONE));
            }
            for (int i = 0; i < 4; i++) {
                answers.add(http.sendAsync(server, "POST", "/v1/tasks/batch", "application/json", BATCH));
            }
            answers.forEach(a -> assertThat(a.join().statusCode()).isIn(200, 202));
        }
    }

    private static void coldMetadata(ApiServer server, Admin admin, ConveyorConfig config) throws Exception {
        byte[] one = ONE;
        {
            // the normal topic disappears: the producer has no metadata, and send() waits for it
            String tasks = config.topics().tasks(Priority.NORMAL);
            admin.deleteTopics(List.of(tasks)).all().get();
            await().atMost(TIMEOUT)
                    .until(() -> !admin.listTopics().names().get().contains(tasks));
            List<CompletableFuture<HttpResponse<String>>> cold = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                cold.add(http.sendAsync(server, "POST", "/v1/tasks", "application/json", one));
            }
            // meanwhile the event loop serves everything else at once: the first cold send holds the
            // sender thread for max.block.ms (1.5 s), and the health check answers before it ends
            assertThat(http.get(server, "/health/live").statusCode()).isEqualTo(200);
            assertThat(cold).as("cold sends answered before the health check").noneMatch(CompletableFuture::isDone);
            assertThat(http.postBatch(server, "application/json", "[{\"type\":\"echo\",\"priority\":\"high\"}]")
                            .statusCode())
                    .isEqualTo(200);
            for (CompletableFuture<HttpResponse<String>> answer : cold) {
                assertError(answer.join(), 503, "kafka_unavailable");
            }
        }
    }
}
