package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.consumers.handlers.FailHandler;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Task;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The worker against a real broker: every path a task can take, and how a worker stops. */
class WorkerIT extends WorkerFixture {

    WorkerIT(KafkaBroker broker) {
        super(broker);
    }

    @Test
    void aBareRecordFromAnyClientRunsAndItsResultIsPublished() throws Exception {
        startWorker(config);
        RecordMetadata md =
                send(topics.taskTopics().get(1), null, "{\"type\":\"echo\",\"payload\":{\"via\":\"kcat\"}}");

        String id = topics.taskTopics().get(1) + "-" + md.partition() + "-" + md.offset();
        TaskResult done = results.awaitTerminal(id, WAIT);

        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.result().get("via").asText()).isEqualTo("kcat");
        assertThat(done.submittedAt()).isEqualTo(Instant.ofEpochMilli(md.timestamp()));
        assertThat(results.statuses(id)).containsExactly(TaskStatus.RUNNING, TaskStatus.SUCCEEDED);
    }

    @Test
    void aFailingTaskIsRetriedThroughTheRetryTopicUntilItSucceeds() throws Exception {
        startWorker(config);
        Task task = Task.builder("fail")
                .payload(json("{\"times\":2}"))
                .maxAttempts(3)
                .build();
        sendTask(task);

        TaskResult done = results.awaitTerminal(task.id(), WAIT);

        assertThat(done.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(done.attempt()).isEqualTo(3);
        assertThat(results.statuses(task.id()))
                .containsExactly(
                        TaskStatus.RUNNING,
                        TaskStatus.RETRYING,
                        TaskStatus.RUNNING,
                        TaskStatus.RETRYING,
                        TaskStatus.RUNNING,
                        TaskStatus.SUCCEEDED);
        TaskResult retrying = results.changes(task.id()).get(1);
        assertThat(retrying.error().kind()).isEqualTo(FailHandler.IntendedFailure.class.getName());
    }

    @Test
    void anExhaustedTaskIsDeadLetteredWithItsStoryInHeaders() throws Exception {
        startWorker(config);
        Task task = Task.builder("fail")
                .payload(json("{\"times\":9}"))
                .maxAttempts(2)
                .build();
        RecordMetadata md = sendTask(task);

        TaskResult done = results.awaitTerminal(task.id(), WAIT);

        assertThat(done.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(done.attempt()).isEqualTo(2);
        ConsumerRecord<byte[], byte[]> dead = onlyRecordOf(topics.deadLetters());
        assertThat(header(dead, RecordHeaders.REASON)).isEqualTo("exhausted");
        assertThat(header(dead, RecordHeaders.ERROR_CLASS)).isEqualTo(FailHandler.IntendedFailure.class.getName());
        assertThat(header(dead, RecordHeaders.ERROR_MESSAGE)).contains("attempt 2 of 9");
        assertThat(header(dead, RecordHeaders.ATTEMPTS)).isEqualTo("2");
        assertThat(header(dead, RecordHeaders.ORIGINAL_TOPIC)).isEqualTo(md.topic());
        assertThat(header(dead, RecordHeaders.ORIGINAL_PARTITION)).isEqualTo(String.valueOf(md.partition()));
        assertThat(header(dead, RecordHeaders.ORIGINAL_OFFSET)).isEqualTo(String.valueOf(md.offset()));
    }

    @Test
    void undecodableRecordsAreDeadLetteredRawAndTheWorkerCarriesOn() throws Exception {
        startWorker(config);
        String topic = topics.taskTopics().get(1);
        RecordMetadata bad = send(topic, "k", "this is not json");
        Task good = Task.builder("echo").key("k").build();
        sendTask(good);

        assertThat(results.awaitTerminal(good.id(), WAIT).status()).isEqualTo(TaskStatus.SUCCEEDED);
        TaskResult poisoned = results.awaitTerminal(topic + "-" + bad.partition() + "-" + bad.offset(), WAIT);
        assertThat(poisoned.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(poisoned.error().kind()).isEqualTo("malformed");
        ConsumerRecord<byte[], byte[]> dead = onlyRecordOf(topics.deadLetters());
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("this is not json");
        assertThat(header(dead, RecordHeaders.REASON)).isEqualTo("malformed");
    }

    @Test
    void unknownTypesFailAtOnceAndTimeoutsCountAsFailedAttempts() throws Exception {
        startWorker(config);
        Task unknown = Task.builder("no-such-type").maxAttempts(5).build();
        Task slow = Task.builder("sleep")
                .payload(json("{\"ms\":60000}"))
                .timeoutMs(100)
                .maxAttempts(2)
                .build();
        sendTask(unknown);
        sendTask(slow);

        TaskResult unknownDone = results.awaitTerminal(unknown.id(), WAIT);
        assertThat(unknownDone.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(unknownDone.attempt()).isEqualTo(1);
        assertThat(unknownDone.error().message()).contains("no handler for task type 'no-such-type'");

        TaskResult slowDone = results.awaitTerminal(slow.id(), WAIT);
        assertThat(slowDone.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(slowDone.attempt()).isEqualTo(2);
        assertThat(slowDone.error().kind()).isEqualTo("timeout");
        assertThat(Duration.between(slowDone.startedAt(), slowDone.finishedAt()))
                .isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aDelayedTaskRunsAtItsTimeWithoutHoldingUpTheTasksBehindIt() throws Exception {
        startWorker(config);
        Instant runAt = Instant.now().plusMillis(1_500);
        Task later = Task.builder("echo").key("same-partition").runAt(runAt).build();
        Task now = Task.builder("echo").key("same-partition").build();
        sendTask(later);
        sendTask(now);

        TaskResult nowDone = results.awaitTerminal(now.id(), WAIT);
        TaskResult laterDone = results.awaitTerminal(later.id(), WAIT);

        assertThat(nowDone.finishedAt()).isBefore(runAt);
        assertThat(laterDone.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(laterDone.startedAt()).isAfterOrEqualTo(runAt);
    }

    @Test
    void offsetsAreCommittedUpToTheLastFinishedTask() throws Exception {
        startWorker(config);
        List<RecordMetadata> sent = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Task t = Task.builder("echo").key("k" + (i % 7)).build();
            ids.add(t.id());
            sent.add(sendTask(t));
        }
        for (String id : ids) {
            results.awaitTerminal(id, WAIT);
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (RecordMetadata md : sent) {
            ends.merge(new TopicPartition(md.topic(), md.partition()), md.offset() + 1, Math::max);
        }
        try (Admin admin = Admin.create(broker.clientConfig())) {
            await().atMost(WAIT).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                                config.get(ConveyorConfig.WORKER_GROUP))
                        .partitionsToOffsetAndMetadata()
                        .get();
                ends.forEach((tp, end) -> assertThat(committed.get(tp))
                        .isNotNull()
                        .extracting(OffsetAndMetadata::offset)
                        .isEqualTo(end));
            });
        }
    }

    @Test
    void cancellationStopsAQueuedTaskBeforeItStartsAndInterruptsARunningOne() throws Exception {
        startWorker(config.toBuilder().set(ConveyorConfig.WORKER_CONCURRENCY, 1).build());
        Task blocker = Task.builder("sleep").payload(json("{\"ms\":60000}")).build();
        Task queued = Task.builder("echo").build();
        sendTask(blocker);
        await().atMost(WAIT).until(() -> results.poll().statuses(blocker.id()).contains(TaskStatus.RUNNING));
        sendTask(queued);

        cancel(queued.id());
        cancel(blocker.id());

        TaskResult blockerDone = results.awaitTerminal(blocker.id(), WAIT);
        assertThat(blockerDone.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(Duration.between(blockerDone.startedAt(), blockerDone.finishedAt()))
                .isLessThan(Duration.ofSeconds(20));
        assertThat(results.awaitTerminal(queued.id(), WAIT).status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(results.statuses(queued.id())).containsExactly(TaskStatus.CANCELLED);
    }

    @Test
    void aGracefulStopFinishesRunningTasksCommitsAndNothingRunsTwice() throws Exception {
        Worker first = Worker.start(
                config.toBuilder().set(ConveyorConfig.WORKER_CONCURRENCY, 20).build(),
                HandlerRegistry.discover(),
                new SimpleMeterRegistry());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Task t = Task.builder("sleep").payload(json("{\"ms\":700}")).build();
            ids.add(t.id());
            TestClients.send(producer, topics, t);
        }
        producer.flush();
        await().atMost(WAIT)
                .until(() ->
                        ids.stream().allMatch(id -> results.poll().statuses(id).contains(TaskStatus.RUNNING)));

        first.close(); // what SIGTERM does through the shutdown hook

        assertThat(ids).allSatisfy(id -> assertThat(results.poll().statuses(id)).contains(TaskStatus.SUCCEEDED));
        startWorker(config);
        Task marker = Task.builder("echo").build();
        sendTask(marker);
        results.awaitTerminal(marker.id(), WAIT); // the new worker is consuming past everything before
        assertThat(ids)
                .allSatisfy(id ->
                        assertThat(results.statuses(id)).containsExactly(TaskStatus.RUNNING, TaskStatus.SUCCEEDED));
    }
}
