package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.Priority;
import java.time.Duration;
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

        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.running() == concurrency);
        assertThat(dispatcher.waiting(Priority.NORMAL)).isEqualTo(2 * concurrency);
        release.countDown();
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
    void anInterruptAfterTheAttemptEndedNeverReachesTheThread() throws Exception {
        AttemptInterrupt interrupt = new AttemptInterrupt();
        interrupt.interrupt();
        assertThat(interrupt.end()).as("an interrupt while it ran is reported").isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("and cleared").isFalse();

        interrupt.interrupt(); // a timeout or cancellation that comes too late
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
