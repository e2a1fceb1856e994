package io.conveyor.consumers.internal;

import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's in-memory queue and its dispatcher: records wait here, one FIFO queue per
 * priority, until a run slot is free; then the first eligible one of the highest priority runs on
 * a virtual thread ({@code conveyor-worker-N}). Eligible means: its type is below its concurrency
 * limit, and (with per-key ordering) no earlier task of its key is running.
 *
 * <p>A worker thread that finishes a record takes the next eligible one itself, and ends when
 * there is none; new threads are started, up to the concurrency limit, while records wait that no
 * thread is about to take. So blocking handlers still get one thread per running attempt, while a
 * stream of short ones is run back to back by a few threads instead of a new thread each (which
 * was a tenth of the worker's CPU with a no-op handler).
 *
 * <p>Thread-safety: {@link #enqueue} and {@link #dropQueued} are called by the poll thread, the
 * rest by the worker threads; all state is guarded by one lock, and the per-priority waiting
 * counts are atomics readable from any thread.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** How far into a priority's queue the dispatcher looks for an eligible record. */
    private static final int SCAN_LIMIT = 256;

    private static final Priority[] PRIORITIES = Priority.values();

    /**
     * Worker threads started (or done with a record) that have not taken the next one yet: more
     * are started only while fewer than this many are on their way, so a burst of short records
     * is run by a few threads one after another rather than by a new thread each.
     */
    private static final int MAX_LOOKING = 2;

    /** How many records a worker thread runs back to back before it yields. */
    private static final int YIELD_EVERY = 16;

    /**
     * One record in the queue or running. {@code task} is null until the record is decoded on its
     * attempt thread, unless {@link Intake} had to read it first. {@code done} is called once its
     * writes are acked (or failed), on the thread that completed the last of them.
     */
    record Item(
            Task task,
            ConsumerRecord<byte[], byte[]> origin,
            Priority priority,
            ByteBuffer key,
            BiConsumer<Disposition, Throwable> done) {
        TopicPartition partition() {
            return new TopicPartition(origin.topic(), origin.partition());
        }

        String type() {
            return task == null ? null : task.type();
        }

        // identity: an item is one read of one record; hashing the task would hash its payload
        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    /** Runs one record on the calling thread; returns the future of its writes. */
    interface Runner {
        /** {@code task} is the record's decoded task, or null if nobody has decoded it yet. */
        CompletableFuture<Disposition> run(Task task, ConsumerRecord<byte[], byte[]> origin);
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final EnumMap<Priority, ArrayDeque<Item>> queues = new EnumMap<>(Priority.class);
    private final AtomicIntegerArray waiting = new AtomicIntegerArray(Priority.values().length);
    private final Map<String, Integer> runningByType = new HashMap<>();
    private final Set<ByteBuffer> busyKeys = new HashSet<>();
    private final Set<Item> running = new HashSet<>();
    private final int concurrency;
    private final Map<String, Integer> typeLimits;
    private final boolean orderByKey;
    private final Runner runner;
    private final ThreadFactory factory =
            Thread.ofVirtual().name("conveyor-worker-", 0).factory();
    private int threads; // worker threads alive: running a record or about to take one
    private long started; // worker threads started, ever

    Dispatcher(int concurrency, Map<String, Integer> typeLimits, boolean orderByKey, Runner runner) {
        this.concurrency = concurrency;
        this.typeLimits = Map.copyOf(typeLimits);
        this.orderByKey = orderByKey;
        this.runner = runner;
        for (Priority p : Priority.values()) {
            queues.put(p, new ArrayDeque<>());
        }
    }

    /**
     * Queues a record's attempt; {@code done} is called when everything it wrote is acked (a
     * callback rather than a future: one completion stage less per task on the producer's I/O
     * thread). {@code task} may be null (see {@link Item}), except when per-type limits are set.
     */
    void enqueue(
            Task task,
            ConsumerRecord<byte[], byte[]> origin,
            Priority priority,
            BiConsumer<Disposition, Throwable> done) {
        ByteBuffer key = orderByKey && origin.key() != null ? ByteBuffer.wrap(origin.key()) : null;
        Item item = new Item(task, origin, priority, key, done);
        boolean another;
        lock.lock();
        try {
            queues.get(priority).addLast(item);
            waiting.incrementAndGet(priority.ordinal());
            another = needsThread();
        } finally {
            lock.unlock();
        }
        if (another) {
            startThread();
        }
    }

    /** Whether records must be decoded before they are queued (per-type limits need the type). */
    boolean needsTypes() {
        return !typeLimits.isEmpty();
    }

    /** Worker threads started since this dispatcher was made (for tests and diagnostics). */
    long threadsStarted() {
        lock.lock();
        try {
            return started;
        } finally {
            lock.unlock();
        }
    }

    /** Records of this priority in the queue. */
    int waiting(Priority priority) {
        return waiting.get(priority.ordinal());
    }

    /**
     * Whether high-priority records wait for a run slot: more are queued than the threads on their
     * way to the queue will take (they take high-priority records first). A record queued a moment
     * ago, with a thread already started for it, does not count.
     */
    boolean highPriorityWaiting() {
        if (waiting(Priority.HIGH) == 0) {
            return false; // the common case, without the lock
        }
        lock.lock();
        try {
            return queues.get(Priority.HIGH).size() > threads - running.size();
        } finally {
            lock.unlock();
        }
    }

    /** Attempts running now. */
    int running() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    /** Whether any running attempt came from one of these partitions. */
    boolean anyRunning(Predicate<TopicPartition> partitions) {
        lock.lock();
        try {
            return running.stream().anyMatch(i -> partitions.test(i.partition()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the waiting records of these partitions out of the queue (their partitions were
     * revoked: the next owner runs them) and returns them; their callbacks are not called.
     */
    List<Item> dropQueued(Predicate<TopicPartition> partitions) {
        List<Item> dropped = new ArrayList<>();
        lock.lock();
        try {
            for (Priority p : Priority.values()) {
                for (Iterator<Item> it = queues.get(p).iterator(); it.hasNext(); ) {
                    Item item = it.next();
                    if (partitions.test(item.partition())) {
                        it.remove();
                        waiting.decrementAndGet(p.ordinal());
                        dropped.add(item);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        return dropped;
    }

    /**
     * Under the lock: whether to start one more thread (counted as started), because more records
     * could run now than the threads on their way to the queue will take. Records held back by a
     * busy key or a type at its limit do not count: a thread started for them would find nothing.
     */
    private boolean needsThread() {
        int looking = threads - running.size();
        if (looking < MAX_LOOKING && threads < concurrency && eligibleMoreThan(looking)) {
            threads++;
            started++;
            return true;
        }
        return false;
    }

    /** Under the lock: whether more than {@code n} queued records could start now. */
    private boolean eligibleMoreThan(int n) {
        if (typeLimits.isEmpty() && !orderByKey) {
            int queued = 0; // every record is eligible
            for (ArrayDeque<Item> queue : queues.values()) {
                queued += queue.size();
            }
            return queued > n;
        }
        return eligibleAfter(n) != null;
    }

    /**
     * Under the lock: the record that could start now after {@code skip} others that could (which
     * threads on their way will take first), highest priority first and first in first out; null
     * if there is none. A key is held back behind an earlier record of it that is still queued.
     */
    private Item eligibleAfter(int skip) {
        Set<ByteBuffer> heldBack = Set.of();
        for (Priority p : PRIORITIES) {
            int scanned = 0;
            for (Iterator<Item> it = queues.get(p).iterator(); it.hasNext() && ++scanned <= SCAN_LIMIT; ) {
                Item item = it.next();
                if (eligible(item) && (item.key() == null || !heldBack.contains(item.key())) && skip-- == 0) {
                    return item;
                }
                if (item.key() != null) {
                    if (heldBack.isEmpty()) {
                        heldBack = new HashSet<>();
                    }
                    heldBack.add(item.key());
                }
            }
        }
        return null;
    }

    /**
     * Starts a thread counted by {@link #needsThread}. If the JVM cannot start one, the count is
     * given back (so it never stays on its way forever) and the error is logged, not thrown: the
     * caller may hold a record it must still run, and the records left waiting are taken by the
     * threads that are running, or the next time a thread is needed.
     */
    private void startThread() {
        try {
            factory.newThread(this::work).start();
        } catch (RuntimeException | OutOfMemoryError e) {
            lock.lock();
            try {
                threads--;
            } finally {
                lock.unlock();
            }
            log.error("Could not start a worker thread; queued records wait for a running one", e);
        }
    }

    /**
     * A worker thread's life: takes the first eligible record, runs it, and goes on with the next
     * while there is one; yields to the other virtual threads every {@value #YIELD_EVERY} records,
     * so that attempts waking from I/O are not kept waiting behind a run of short ones.
     */
    private void work() {
        Item item = next(null);
        for (int ran = 1; item != null; ran++) {
            CompletableFuture<Disposition> writes;
            try {
                writes = runner.run(item.task(), item.origin());
            } catch (Throwable t) {
                writes = CompletableFuture.failedFuture(t);
            }
            Item finished = item;
            item = next(finished);
            writes.whenComplete(finished.done());
            if (item != null && ran % YIELD_EVERY == 0) {
                Thread.yield();
            }
        }
    }

    /**
     * Frees {@code finished}'s slot (if not null) and takes the next eligible record for the
     * calling thread, starting one more thread if records are left waiting; null when there is
     * nothing to take, and the thread is then counted as gone.
     */
    private Item next(Item finished) {
        Item item;
        boolean another;
        lock.lock();
        try {
            if (finished != null) {
                release(finished);
            }
            item = takeNext();
            if (item == null) {
                threads--;
                return null;
            }
            another = needsThread();
        } finally {
            lock.unlock();
        }
        if (another) {
            startThread();
        }
        return item;
    }

    private void release(Item item) {
        running.remove(item);
        if (item.type() != null) {
            runningByType.merge(item.type(), -1, (a, b) -> a + b == 0 ? null : a + b);
        }
        if (item.key() != null) {
            busyKeys.remove(item.key());
        }
    }

    /** Under the lock: the first eligible record of the highest priority, counted as running. */
    private Item takeNext() {
        Item item = running.size() < concurrency ? eligibleAfter(0) : null;
        if (item != null) {
            queues.get(item.priority()).removeFirstOccurrence(item); // near the head: it was found there
            waiting.decrementAndGet(item.priority().ordinal());
            running.add(item);
            if (item.type() != null) {
                runningByType.merge(item.type(), 1, Integer::sum);
            }
            if (item.key() != null) {
                busyKeys.add(item.key());
            }
        }
        return item;
    }

    private boolean eligible(Item item) {
        if (!typeLimits.isEmpty()) {
            Integer limit = typeLimits.get(item.type());
            if (limit != null && runningByType.getOrDefault(item.type(), 0) >= limit) {
                return false;
            }
        }
        return item.key() == null || !busyKeys.contains(item.key());
    }
}
