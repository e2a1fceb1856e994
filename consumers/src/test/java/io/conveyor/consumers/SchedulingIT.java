package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * How the worker schedules against a real broker: backpressure, priorities, per-key order and
 * per-type limits.
 */
class SchedulingIT extends WorkerFixture {

    SchedulingIT(KafkaBroker broker) {
        super(broker);
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
                .set(ConveyorConfig.WORKER_QUEUE_CAPACITY, 200)
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
        // the whole in-memory backlog ahead of them first: at least half the queue, 100. The high
        // tasks' own way to the worker (their send, the fetch) counts too, so the bound leaves
        // room for a slow moment of a loaded machine (half a second is 50 low tasks here).
        long overtaking = lowDone.stream()
                .filter(l -> highDone.stream()
                        .anyMatch(h -> l.startedAt().isAfter(h.submittedAt())
                                && l.startedAt().isBefore(h.startedAt())))
                .count();
        System.out.println("high priority: " + overtaking + " low tasks started while a high one waited");
        assertThat(overtaking).isLessThan(70);
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
}
