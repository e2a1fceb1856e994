package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class DispatcherTest {
    private static ConsumerRecord<byte[], byte[]> record(long offset) {
        return new ConsumerRecord<>("t.tasks.normal", 0, offset, null, new byte[0]);
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, String key, String value) {
        return new ConsumerRecord<>(
                "t.tasks.normal",
                0,
                offset,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void blockingRecordsGetAThreadEachUpToTheLimitAndThoseThreadsRunTheRest() throws Exception {
        int concurrency = 100;
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Dispatcher dispatcher = new Dispatcher(concurrency, Map.of(), false, (task, origin) -> {
            most.accumulateAndGet(now.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread());
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            now.decrementAndGet();
            return CompletableFuture.completedFuture(Disposition.DONE);
        });
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < 3 * concurrency; i++) {
            dispatcher.enqueue(null, record(i), Priority.NORMAL, (d, e) -> done.incrementAndGet());
        }

        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.running() == concurrency);
            assertThat(dispatcher.waiting(Priority.NORMAL)).isEqualTo(2 * concurrency);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 3 * concurrency);

        assertThat(most.get()).isEqualTo(concurrency);
        assertThat(threads)
                .as("the blocked threads went on with the waiting records")
                .hasSize(concurrency);
        assertThat(dispatcher.running()).isZero();
    }

    @Test
    void shortRecordsRunBackToBackOnFewThreads() {
        int records = 20_000;
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Dispatcher dispatcher = new Dispatcher(1000, Map.of(), false, (task, origin) -> {
            threads.add(Thread.currentThread());
            return CompletableFuture.completedFuture(Disposition.DONE);
        });
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < records; i++) {
            dispatcher.enqueue(null, record(i), Priority.NORMAL, (d, e) -> done.incrementAndGet());
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == records);
        // at most two threads are ever on their way to the queue, so a thread is started only when
        // the running ones were all busy; each then runs records until the queue is empty
        assertThat(threads.size()).isLessThan(records / 4);
    }

    @Test
    void takesTheHighestPriorityFirstAndRunsOneKeyAtATimeInOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Dispatcher dispatcher = new Dispatcher(1, Map.of(), true, (task, origin) -> {
            String name = new String(origin.value(), StandardCharsets.UTF_8);
            if (name.equals("blocker")) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            order.add(name);
            return CompletableFuture.completedFuture(Disposition.DONE);
        });
        AtomicInteger done = new AtomicInteger();
        dispatcher.enqueue(null, record(0, null, "blocker"), Priority.NORMAL, (d, e) -> done.incrementAndGet());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.running() == 1);
            dispatcher.enqueue(null, record(1, "a", "a1"), Priority.NORMAL, (d, e) -> done.incrementAndGet());
            dispatcher.enqueue(null, record(2, null, "low"), Priority.LOW, (d, e) -> done.incrementAndGet());
            dispatcher.enqueue(null, record(3, "a", "a2"), Priority.NORMAL, (d, e) -> done.incrementAndGet());
            dispatcher.enqueue(null, record(4, null, "high"), Priority.HIGH, (d, e) -> done.incrementAndGet());
            assertThat(dispatcher.highPriorityWaiting())
                    .as("the one slot is taken")
                    .isTrue();
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 5);

        assertThat(order).containsExactly("blocker", "high", "a1", "a2", "low");
        assertThat(dispatcher.highPriorityWaiting()).isFalse();
    }

    @Test
    void aKeyRunsOneRecordAtATimeWhileOtherKeysRunBesideIt() {
        int perKey = 200;
        Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        Dispatcher dispatcher = new Dispatcher(50, Map.of(), true, (task, origin) -> {
            String key = new String(origin.key(), StandardCharsets.UTF_8);
            if (runningPerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(origin.offset());
            Thread.yield();
            runningPerKey.get(key).decrementAndGet();
            return CompletableFuture.completedFuture(Disposition.DONE);
        });
        AtomicInteger done = new AtomicInteger();
        long offset = 0;
        for (int i = 0; i < perKey; i++) {
            for (String key : List.of("a", "b", "c")) {
                dispatcher.enqueue(null, record(offset++, key, key), Priority.NORMAL, (d, e) -> done.incrementAndGet());
            }
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 3 * perKey);
        assertThat(overlaps.get()).isZero();
        assertThat(seen).hasSize(3);
        seen.values().forEach(offsets -> assertThat(offsets).hasSize(perKey).isSorted());
    }

    @Test
    void aBacklogHeldBackByItsKeyStartsNoThreadsThatWouldFindNothing() {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> order = Collections.synchronizedList(new ArrayList<>());
        Dispatcher dispatcher = new Dispatcher(100, Map.of(), true, (task, origin) -> {
            if (origin.offset() == 0) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            order.add(origin.offset());
            return CompletableFuture.completedFuture(Disposition.DONE);
        });
        AtomicInteger done = new AtomicInteger();
        dispatcher.enqueue(null, record(0, "hot", "first"), Priority.NORMAL, (d, e) -> done.incrementAndGet());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.running() == 1);
            for (long offset = 1; offset <= 1000; offset++) {
                dispatcher.enqueue(
                        null, record(offset, "hot", "next"), Priority.NORMAL, (d, e) -> done.incrementAndGet());
            }
            assertThat(dispatcher.threadsStarted()).isEqualTo(1);
        } finally {
            release.countDown();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1001);

        assertThat(dispatcher.threadsStarted())
                .as("one thread ran the key's records in turn")
                .isEqualTo(1);
        assertThat(order).isSorted().hasSize(1001);
    }

    @Test
    void anInterruptAfterTheAttemptEndedNeverReachesTheThread() throws Exception {
        AttemptInterrupt interrupt = new AttemptInterrupt();
        interrupt.interrupt();
        assertThat(interrupt.end()).as("an interrupt while it ran is reported").isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("and cleared").isFalse();

        interrupt.interrupt(); // a timeout or cancellation that comes too late
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
