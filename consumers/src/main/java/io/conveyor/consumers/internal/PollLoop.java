package io.conveyor.consumers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's poll loop. Runs on one platform thread ({@code conveyor-poll-N}) that alone owns
 * the {@link Consumer}, the offset trackers and the pause state; other threads only read the
 * volatile/atomic views ({@link #queueDepth()}, {@link #pausedPartitions()}, lags) and hand back
 * completions through a concurrent queue. {@link #stop()} may be called from any thread: it uses
 * {@link Consumer#wakeup()}, the consumer's one thread-safe method; so does a write that Kafka
 * refused (a missing ACL), which the producer's I/O thread reports to {@link FatalErrors} before it
 * ends the loop that way.
 *
 * <p>Backpressure pauses partitions and keeps polling, so the group never sees this member as
 * stuck; which partitions, and when, is the {@link PausePolicy}'s call. Retry partitions whose next
 * record is not yet due are paused too, after a seek back to that record, until it is. The wanted
 * pause set is recomputed on every loop and on assignment, so it survives rebalances.
 */
final class PollLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration PAUSED_WAIT = Duration.ofMillis(20);
    private static final Duration LAG_INTERVAL = Duration.ofSeconds(1);

    /** How long the loop lets running work end: on revoke, and on stop. */
    record Deadlines(Duration commitInterval, Duration revokeTimeout, Duration shutdownTimeout) {}

    private final Consumer<byte[], byte[]> consumer;
    private final Dispatcher dispatcher;
    private final Intake intake;
    private final List<String> subscription;
    private final Topics topics;
    private final Clock clock;
    private final WorkerMetrics metrics;
    private final FatalErrors fatal;
    private final String group;
    private final PausePolicy policy;
    private final Deadlines deadlines;

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final Map<TopicPartition, Instant> delayedUntil = new HashMap<>();
    private final BlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final Map<TopicPartition, Long> lags = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();
    private volatile Set<TopicPartition> paused = Set.of();
    private volatile boolean running = true;
    private Instant lastCommit = Instant.EPOCH;
    private Instant lastLag = Instant.EPOCH;

    PollLoop(
            Consumer<byte[], byte[]> consumer,
            Dispatcher dispatcher,
            Intake intake,
            List<String> subscription,
            Topics topics,
            Clock clock,
            WorkerMetrics metrics,
            FatalErrors fatal,
            String group,
            int capacity,
            int maxPollRecords,
            Deadlines deadlines) {
        this.consumer = consumer;
        this.dispatcher = dispatcher;
        this.intake = intake;
        this.subscription = List.copyOf(subscription);
        this.topics = topics;
        this.clock = clock;
        this.metrics = metrics;
        this.fatal = fatal;
        this.group = group;
        this.policy = new PausePolicy(topics.tasks(Priority.HIGH), capacity, maxPollRecords);
        this.deadlines = deadlines;
    }

    /** Records read and not yet finished (at most the queue capacity). */
    int queueDepth() {
        return held.get();
    }

    /** Partitions paused now: backpressure, yielding to high priority, or a retry not yet due. */
    Set<TopicPartition> pausedPartitions() {
        return paused;
    }

    /** Records behind the end of each assigned partition, as of the last second. */
    Map<TopicPartition, Long> lags() {
        return lags;
    }

    /** Asks the loop to finish: it stops fetching, lets running tasks end, commits, and returns. */
    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        consumer.subscribe(subscription, new Rebalance());
        try {
            while (running) {
                drainCompletions();
                applyPauses();
                ConsumerRecords<byte[], byte[]> records = poll();
                for (TopicPartition tp : records.partitions()) {
                    take(tp, records.records(tp));
                }
                drainCompletions();
                commitIfDue();
                measureLagIfDue();
            }
        } catch (WakeupException e) {
            if (running) {
                fail("READ", e);
            }
        } catch (RuntimeException e) {
            fail("READ", e);
        } finally {
            drainAndClose();
        }
    }

    /**
     * Ends the loop for good: Kafka refused it (a missing ACL names the resource and operation), or
     * something no retry mends. Reported once; the worker's owner stops the process.
     */
    private void fail(String operation, Throwable e) {
        running = false;
        fatal.report(
                "worker poll loop",
                AccessDenied.find(e, operation, AccessDenied.Names.group(group))
                        .map(AccessDenied.Refusal::message)
                        .orElse("the poll loop failed: " + e),
                e);
    }

    /**
     * Polls without spinning. With some partitions paused, kafka-clients 4.3 wakes {@code
     * poll(timeout)} at once and over again for as long as the timeout lasts (KAFKA-21084: the
     * buffered data of paused partitions is put back and signals new data), burning a core. So
     * while anything is paused, poll without waiting and wait on the completions instead (which
     * is also what lets the queue drain and the partitions resume).
     */
    private ConsumerRecords<byte[], byte[]> poll() {
        if (paused.isEmpty()) {
            return consumer.poll(POLL);
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ZERO);
        if (records.isEmpty()) {
            try {
                Completion c = completions.poll(PAUSED_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (c != null) {
                    apply(c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return records;
    }

    private void take(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> records) {
        OffsetTracker tracker = trackers.computeIfAbsent(tp, p -> new OffsetTracker());
        boolean retryTopic = tp.topic().equals(topics.retry());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (retryTopic) {
                Instant due = RecordHeaders.notBefore(record.headers());
                if (due != null && due.isAfter(clock.instant())) {
                    consumer.seek(tp, record.offset());
                    consumer.pause(List.of(tp));
                    delayedUntil.put(tp, due);
                    return;
                }
            }
            tracker.started(record.offset());
            held.incrementAndGet();
            intake.accept(record, (v, error) -> {
                if (error != null && AccessDenied.isRefusal(error)) {
                    fail("WRITE", error);
                    consumer.wakeup();
                } else if (error != null) {
                    log.error(
                            "Writes for {}-{}@{} failed; the record stays uncommitted and will be read again",
                            record.topic(),
                            record.partition(),
                            record.offset(),
                            error);
                }
                completions.add(new Completion(tp, record.offset(), tracker, error == null));
            });
        }
    }

    private void drainCompletions() {
        Completion c;
        while ((c = completions.poll()) != null) {
            apply(c);
        }
    }

    private void apply(Completion c) {
        held.decrementAndGet();
        OffsetTracker tracker = trackers.get(c.partition());
        if (c.done() && tracker == c.owner()) {
            tracker.finished(c.offset());
        }
    }

    private void applyPauses() {
        Set<TopicPartition> assignment = consumer.assignment();
        Instant now = clock.instant();
        delayedUntil.entrySet().removeIf(e -> !e.getValue().isAfter(now) || !assignment.contains(e.getKey()));
        Set<TopicPartition> desired =
                policy.update(held.get(), dispatcher.highPriorityWaiting(), assignment, metrics::paused);
        desired.addAll(delayedUntil.keySet());
        Set<TopicPartition> current = consumer.paused();
        Set<TopicPartition> toPause = new HashSet<>(desired);
        toPause.removeAll(current);
        Set<TopicPartition> toResume = new HashSet<>(current);
        toResume.removeAll(desired);
        if (!toPause.isEmpty()) {
            consumer.pause(toPause);
        }
        if (!toResume.isEmpty()) {
            consumer.resume(toResume);
        }
        paused = Set.copyOf(desired);
    }

    private void commitIfDue() {
        Instant now = clock.instant();
        if (now.isBefore(lastCommit.plus(deadlines.commitInterval()))) {
            return;
        }
        lastCommit = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(trackers.keySet());
        if (offsets.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        consumer.commitAsync(offsets, (committed, error) -> {
            metrics.committed(Duration.ofNanos(System.nanoTime() - start));
            if (error != null && AccessDenied.isRefusal(error)) {
                fail("READ", error);
            } else if (error != null) {
                log.warn("Offset commit failed (the next one carries it): {}", error.toString());
            }
        });
        markCommitted(offsets);
    }

    private void measureLagIfDue() {
        Instant now = clock.instant();
        if (now.isBefore(lastLag.plus(LAG_INTERVAL))) {
            return;
        }
        lastLag = now;
        for (TopicPartition tp : consumer.assignment()) {
            consumer.currentLag(tp).ifPresent(lag -> lags.put(tp, lag));
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            OffsetTracker t = trackers.get(tp);
            if (t != null) {
                t.committable().ifPresent(o -> offsets.put(tp, new OffsetAndMetadata(o)));
            }
        }
        return offsets;
    }

    private void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            OffsetTracker t = trackers.get(tp);
            if (t != null) {
                t.committed(o.offset());
            }
        });
    }

    /**
     * Lets the work of these partitions end: records not started are given up (whoever reads the
     * partitions next runs them), running ones get until {@code timeout} to finish; then what is
     * finished is committed.
     */
    private void finishAndCommit(Collection<TopicPartition> partitions, Duration timeout) {
        Set<TopicPartition> leaving = Set.copyOf(partitions);
        for (Dispatcher.Item item : dispatcher.dropQueued(leaving::contains)) {
            held.decrementAndGet();
            OffsetTracker t = trackers.get(item.partition());
            if (t != null) {
                t.abandon(item.origin().offset());
            }
        }
        Instant deadline = clock.instant().plus(timeout);
        try {
            while (active(leaving) && clock.instant().isBefore(deadline)) {
                Completion c = completions.poll(10, TimeUnit.MILLISECONDS);
                if (c != null) {
                    apply(c);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drainCompletions();
        if (active(leaving)) {
            log.warn(
                    "Tasks of {} still running after {} ms; they stay uncommitted and will run again",
                    leaving,
                    timeout.toMillis());
        }
        commitSync(leaving);
    }

    private boolean active(Set<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            OffsetTracker t = trackers.get(tp);
            if (t != null && t.activeCount() > 0) {
                return true;
            }
        }
        return false;
    }

    private void commitSync(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions);
        if (offsets.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(5));
            metrics.committed(Duration.ofNanos(System.nanoTime() - start));
            markCommitted(offsets);
        } catch (RuntimeException e) {
            if (AccessDenied.isRefusal(e)) {
                fail("READ", e);
            } else {
                log.warn("Offset commit for {} failed: {}", offsets.keySet(), e.toString());
            }
        }
    }

    private void drainAndClose() {
        try {
            consumer.pause(consumer.assignment());
            paused = Set.copyOf(consumer.assignment());
            finishAndCommit(consumer.assignment(), deadlines.shutdownTimeout());
        } catch (RuntimeException e) {
            log.warn("Error while stopping the poll loop: {}", e.toString());
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /** Runs inside {@code poll()}, on the poll thread. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            metrics.rebalanced("revoked", partitions.size());
            if (!partitions.isEmpty()) {
                finishAndCommit(partitions, deadlines.revokeTimeout());
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            metrics.rebalanced("lost", partitions.size());
            dispatcher.dropQueued(Set.copyOf(partitions)::contains).forEach(i -> held.decrementAndGet());
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            metrics.rebalanced("assigned", partitions.size());
            List<TopicPartition> pauseNow =
                    partitions.stream().filter(policy::pauseOnAssign).toList();
            if (!pauseNow.isEmpty()) {
                consumer.pause(pauseNow); // before this poll returns any of their records
            }
            partitions.forEach(tp -> metrics.lagGauge(tp, lags));
        }

        private void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                trackers.remove(tp);
                delayedUntil.remove(tp);
                lags.remove(tp);
                metrics.removeLagGauge(tp);
            });
        }
    }
}
