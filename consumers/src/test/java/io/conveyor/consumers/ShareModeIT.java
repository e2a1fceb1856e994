package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Share-group mode: six workers on three task partitions (one per priority topic), so each
 * partition is shared by two workers; retries and dead letters work as usual.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ShareModeIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void sixWorkersShareThreePartitionsAndFailuresStillRetryAndDeadLetter(KafkaBroker broker) throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("share"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 1)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("sg"))
                .set(ConveyorConfig.WORKER_MODE, "share")
                .set(ConveyorConfig.WORKER_CONCURRENCY, 4)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MS, 50)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS, 100)
                .build();
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
        }
        TaskCodec codec = new TaskCodec();
        List<Worker> workers = new ArrayList<>();
        List<SimpleMeterRegistry> registries = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = TestClients.producer(broker.bootstrapServers());
                ResultsProbe results = new ResultsProbe(
                        broker.bootstrapServers(), config.topics().results())) {
            for (int i = 0; i < 6; i++) {
                registries.add(new SimpleMeterRegistry());
                workers.add(Worker.start(
                        config.toBuilder()
                                .set(ConveyorConfig.WORKER_ID, "share-worker-" + i)
                                .build(),
                        HandlerRegistry.discover(),
                        registries.get(i)));
            }
            try (Admin admin = Admin.create(broker.clientConfig())) {
                String group = config.get(ConveyorConfig.WORKER_GROUP);
                org.awaitility.Awaitility.await()
                        .atMost(WAIT)
                        .ignoreExceptions()
                        .until(() -> admin.describeShareGroups(List.of(group)).all().get().get(group).members().stream()
                                        .filter(m -> !m.assignment()
                                                .topicPartitions()
                                                .isEmpty())
                                        .count()
                                == 6 * 3); // a member per task topic on each worker
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Task t = Task.builder("sleep")
                        .payload(Json.mapper().readTree("{\"ms\":20}"))
                        .build();
                ids.add(t.id());
                TestClients.send(producer, config.topics(), t);
            }
            Task flaky = Task.builder("fail")
                    .payload(Json.mapper().readTree("{\"times\":1}"))
                    .build();
            Task doomed = Task.builder("fail")
                    .payload(Json.mapper().readTree("{\"times\":5}"))
                    .maxAttempts(2)
                    .build();
            for (Task t : List.of(flaky, doomed)) {
                TestClients.send(producer, config.topics(), t);
            }
            producer.flush();

            List<TaskResult> done =
                    ids.stream().map(id -> results.awaitTerminal(id, WAIT)).toList();
            assertThat(done).allSatisfy(r -> assertThat(r.status()).isEqualTo(TaskStatus.SUCCEEDED));
            Set<String> workersUsed = done.stream().map(TaskResult::workerId).collect(Collectors.toSet());
            assertThat(workersUsed)
                    .as("workers that ran tasks of a one-partition topic")
                    .hasSizeGreaterThan(1);

            TaskResult flakyDone = results.awaitTerminal(flaky.id(), WAIT);
            assertThat(flakyDone.status()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(flakyDone.attempt()).isEqualTo(2);
            TaskResult doomedDone = results.awaitTerminal(doomed.id(), WAIT);
            assertThat(doomedDone.status()).isEqualTo(TaskStatus.FAILED);
            try (ResultsProbe dlq =
                    new ResultsProbe(broker.bootstrapServers(), config.topics().deadLetters())) {
                org.awaitility.Awaitility.await()
                        .atMost(WAIT)
                        .until(() -> dlq.poll().records().size() == 1);
                assertThat(RecordHeaders.get(dlq.records().get(0).headers(), RecordHeaders.REASON))
                        .isEqualTo("exhausted");
            }
            // the share consumer's own client metrics are bound too (KafkaClientMetrics through a view)
            assertThat(registries)
                    .allSatisfy(registry -> assertThat(registry.getMeters()).anySatisfy(meter -> {
                        assertThat(meter.getId().getName()).startsWith("kafka.");
                        assertThat(meter.getId().getTag("client.id")).startsWith("conveyor-worker-share-");
                    }));
        } finally {
            workers.forEach(Worker::close);
        }
    }
}
