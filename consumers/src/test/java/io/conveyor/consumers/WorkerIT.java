package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.consumers.handlers.FailHandler;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The worker against a real broker: every path a task can take. */
@ExtendWith(KafkaBrokerExtension.class)
class WorkerIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final KafkaBroker broker;
    private final TaskCodec codec = new TaskCodec();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ConveyorConfig config;
    private Topics topics;
    private KafkaProducer<byte[], byte[]> producer;
    private ResultsProbe results;

    WorkerIT(KafkaBroker broker) {
        this.broker = broker;
    }

    @BeforeEach
    void topicsAndClients() {
        config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("w"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 4)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("g"))
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MS, 50)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS, 200)
                .build();
        topics = config.topics();
        TestClients.provision(broker.bootstrapServers(), topics);
        producer = track(TestClients.producer(broker.bootstrapServers()));
        results = track(new ResultsProbe(broker.bootstrapServers(), topics.results()));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
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
    void aFullQueuePausesPartitionsKeepsPollingAndResumes() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Task t = Task.builder("sleep").payload(json("{\"ms\":10}")).build();
            ids.add(t.id());
            TestClients.send(producer, topics, t);
        }
        producer.flush(); // a backlog ten times the queue, before the worker starts
        Worker worker = startWorker(config.toBuilder()
                .set(ConveyorConfig.WORKER_QUEUE_CAPACITY, 30)
                .set(ConveyorConfig.WORKER_CONCURRENCY, 2)
                .build());
        AtomicInteger maxDepth = new AtomicInteger();

        await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).untilAsserted(() -> {
            maxDepth.accumulateAndGet(worker.queueDepth(), Math::max);
            assertThat(worker.pausedPartitions()).isNotEmpty();
        });
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> {
                    maxDepth.accumulateAndGet(worker.queueDepth(), Math::max);
                    results.poll();
                    assertThat(ids)
                            .allSatisfy(id -> assertThat(results.statuses(id)).contains(TaskStatus.SUCCEEDED));
                });

        assertThat(maxDepth.get()).isLessThanOrEqualTo(30);
        await().atMost(WAIT)
                .untilAsserted(() -> assertThat(worker.pausedPartitions()).isEmpty());
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
    void highPriorityWorkOvertakesABacklogOfLowPriorityWork() throws Exception {
        List<String> low = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            Task t = Task.builder("sleep")
                    .payload(json("{\"ms\":20}"))
                    .priority(Priority.LOW)
                    .build();
            low.add(t.id());
            TestClients.send(producer, topics, t);
        }
        producer.flush(); // about four seconds of low work at concurrency 2
        startWorker(config.toBuilder()
                .set(ConveyorConfig.WORKER_CONCURRENCY, 2)
                .set(ConveyorConfig.WORKER_QUEUE_CAPACITY, 100)
                .build());
        await().atMost(WAIT)
                .until(() ->
                        low.stream().anyMatch(id -> results.poll().statuses(id).contains(TaskStatus.SUCCEEDED)));

        List<String> high = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Task t = Task.builder("sleep")
                    .payload(json("{\"ms\":20}"))
                    .priority(Priority.HIGH)
                    .build();
            high.add(t.id());
            sendTask(t);
        }
        List<TaskResult> highDone =
                high.stream().map(id -> results.awaitTerminal(id, WAIT)).toList();
        List<TaskResult> lowDone = low.stream()
                .map(id -> results.awaitTerminal(id, Duration.ofSeconds(60)))
                .toList();

        // Low tasks that started while some high task was waiting. First-in-first-out would start
        // the whole in-memory backlog ahead of them first: at least half the queue, 50.
        long overtaking = lowDone.stream()
                .filter(l -> highDone.stream()
                        .anyMatch(h -> l.startedAt().isAfter(h.submittedAt())
                                && l.startedAt().isBefore(h.startedAt())))
                .count();
        assertThat(overtaking).isLessThan(40);
        assertThat(highDone).allSatisfy(h -> assertThat(h.status()).isEqualTo(TaskStatus.SUCCEEDED));
    }

    @Test
    void tasksWithOneKeyRunOneAtATimeInOrderWhileOtherKeysRunInParallel() throws Exception {
        startWorker(config.toBuilder()
                .set(ConveyorConfig.WORKER_ORDERING, "key")
                .set(ConveyorConfig.WORKER_CONCURRENCY, 8)
                .build());
        List<String> ordered = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Task a = Task.builder("sleep")
                    .key("account-1")
                    .payload(json("{\"ms\":15}"))
                    .build();
            Task b = Task.builder("sleep")
                    .key("other-" + i)
                    .payload(json("{\"ms\":15}"))
                    .build();
            ordered.add(a.id());
            others.add(b.id());
            producer.send(new ProducerRecord<>(topics.tasks(Priority.NORMAL), bytes(a.key()), codec.encode(a)));
            producer.send(new ProducerRecord<>(topics.tasks(Priority.NORMAL), bytes(b.key()), codec.encode(b)));
        }
        producer.flush();

        List<TaskResult> done =
                ordered.stream().map(id -> results.awaitTerminal(id, WAIT)).toList();
        List<TaskResult> parallel =
                others.stream().map(id -> results.awaitTerminal(id, WAIT)).toList();

        for (int i = 1; i < done.size(); i++) {
            assertThat(done.get(i).startedAt()).isAfterOrEqualTo(done.get(i - 1).finishedAt());
        }
        assertThat(maxOverlap(parallel)).isGreaterThan(1);
    }

    @Test
    void aTypeLimitCapsThatTypeWithinTheGlobalConcurrency() throws Exception {
        startWorker(config.toBuilder()
                .set(ConveyorConfig.WORKER_CONCURRENCY, 8)
                .set(ConveyorConfig.WORKER_TYPE_CONCURRENCY.key(), "sleep=2", "test")
                .build());
        List<String> sleeps = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Task t = Task.builder("sleep").payload(json("{\"ms\":40}")).build();
            sleeps.add(t.id());
            TestClients.send(producer, topics, t);
        }
        producer.flush();

        List<TaskResult> done =
                sleeps.stream().map(id -> results.awaitTerminal(id, WAIT)).toList();

        assertThat(maxOverlap(done)).isEqualTo(2);
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

    private static int maxOverlap(List<TaskResult> runs) {
        int max = 0;
        for (TaskResult r : runs) {
            Instant at = r.startedAt();
            int overlapping = (int) runs.stream()
                    .filter(o -> !o.startedAt().isAfter(at) && o.finishedAt().isAfter(at))
                    .count();
            max = Math.max(max, overlapping);
        }
        return max;
    }

    private void cancel(String taskId) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), bytes(taskId), codec.encodeCancellation()))
                .get();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Worker startWorker(ConveyorConfig c) {
        return track(Worker.start(c, HandlerRegistry.discover(), new SimpleMeterRegistry()));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private RecordMetadata sendTask(Task task) throws Exception {
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topics.tasks(task.priority()), key, codec.encode(task)))
                .get();
    }

    private RecordMetadata send(String topic, String key, String value) throws Exception {
        byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topic, k, value.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    private ConsumerRecord<byte[], byte[]> onlyRecordOf(String topic) {
        try (ResultsProbe probe = new ResultsProbe(broker.bootstrapServers(), topic)) {
            return await().atMost(WAIT)
                    .until(() -> probe.poll().records(), r -> r.size() == 1)
                    .get(0);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return RecordHeaders.get(record.headers(), name);
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String text) throws Exception {
        return TaskCodec.mapper().readTree(text);
    }
}
