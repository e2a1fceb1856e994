package io.conveyor.consumers.internal;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
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
 * volatile/atomic views ({@link #queueDepth()}, {@link #pausedPartitions()}) and hand back
 * completions through a concurrent queue. {@link #stop()} may be called from any thread: it
 * uses {@link Consumer#wakeup()}, the consumer's one thread-safe method.
 *
 * <p>Backpressure pauses partitions and keeps polling, so the group never sees this member as
 * stuck: when records held in memory would exceed the queue capacity after one more poll, every
 * assigned partition is paused; below the low watermark they resume. Retry-topic partitions whose
 * next record is not yet due are paused (after a seek back to that record) until it is. The
 * desired pause set is recomputed on every loop and on assignment, so it survives rebalances.
 */
public final class PollLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);

    private final Consumer<byte[], byte[]> consumer;
    private final AttemptRunner runner;
    private final Publisher publisher;
    private final TaskCodec codec;
    private final Topics topics;
    private final Clock clock;
    private final WorkerMetrics metrics;
    private final Counter pauses;
    private final String workerId;
    private final int capacity;
    private final int lowWatermark;
    private final int maxPollRecords;
    private final Duration commitInterval;
    private final Duration shutdownTimeout;

    private final Map<TopicPartition, OffsetTracker> trackers = new HashMap<>();
    private final Map<TopicPartition, Instant> delayedUntil = new HashMap<>();
    private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
    private final AtomicInteger held = new AtomicInteger();
    private volatile Set<TopicPartition> paused = Set.of();
    private volatile boolean running = true;
    private boolean backpressure;
    private Instant lastCommit = Instant.EPOCH;

    PollLoop(
            Consumer<byte[], byte[]> consumer,
            AttemptRunner runner,
            Publisher publisher,
            TaskCodec codec,
            Topics topics,
            Clock clock,
            WorkerMetrics metrics,
            String workerId,
            int capacity,
            int maxPollRecords,
            Duration commitInterval,
            Duration shutdownTimeout) {
        this.consumer = consumer;
        this.runner = runner;
        this.publisher = publisher;
        this.codec = codec;
        this.topics = topics;
        this.clock = clock;
        this.metrics = metrics;
        this.pauses = metrics.pauses();
        this.workerId = workerId;
        this.capacity = capacity;
        this.lowWatermark = capacity / 2;
        this.maxPollRecords = maxPollRecords;
        this.commitInterval = commitInterval;
        this.shutdownTimeout = shutdownTimeout;
    }

    /** Records read and not yet finished (at most the queue capacity). */
    public int queueDepth() {
        return held.get();
    }

    /** Partitions paused now, for backpressure or because their next retry is not due. */
    public Set<TopicPartition> pausedPartitions() {
        return paused;
    }

    /** Asks the loop to finish: it stops fetching, lets running tasks end, commits, and returns. */
    public void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        List<String> subscribed = new java.util.ArrayList<>(topics.taskTopics());
        subscribed.add(topics.retry());
        consumer.subscribe(subscribed, new Rebalance());
        try {
            while (running) {
                drainCompletions();
                applyPauses();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                for (TopicPartition tp : records.partitions()) {
                    take(tp, records.records(tp));
                }
                drainCompletions();
                commitIfDue(false);
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            drainAndClose();
        }
    }

    private void take(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> records) {
        OffsetTracker tracker = trackers.computeIfAbsent(tp, p -> new OffsetTracker());
        boolean retryTopic = tp.topic().equals(topics.retry());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (retryTopic) {
                Instant due = notBefore(record);
                if (due != null && due.isAfter(clock.instant())) {
                    consumer.seek(tp, record.offset());
                    delayedUntil.put(tp, due);
                    consumer.pause(List.of(tp));
                    return;
                }
            }
            tracker.started(record.offset());
            held.incrementAndGet();
            CompletableFuture<Void> done = dispatch(record, retryTopic);
            done.whenComplete((v, error) -> {
                if (error != null) {
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

    private CompletableFuture<Void> dispatch(ConsumerRecord<byte[], byte[]> record, boolean retryTopic) {
        Priority priority = topics.priorityOf(record.topic()).orElse(Priority.NORMAL);
        RecordOrigin origin = new RecordOrigin(
                record.topic(),
                record.partition(),
                record.offset(),
                Instant.ofEpochMilli(record.timestamp()),
                priority);
        Task task;
        try {
            task = codec.decode(record.value(), origin);
        } catch (MalformedTaskException | IllegalArgumentException e) {
            return deadLetterMalformed(record, origin, e);
        }
        if (!retryTopic && task.runAt() != null && task.runAt().isAfter(clock.instant())) {
            // a delayed task waits on the retry topic, so it never holds up its partition
            return publisher.retry(task, task.runAt(), record);
        }
        return runner.submit(task, record);
    }

    private CompletableFuture<Void> deadLetterMalformed(
            ConsumerRecord<byte[], byte[]> record, RecordOrigin origin, Exception e) {
        log.warn(
                "Undecodable record {}: {}; sending it to {}",
                origin.derivedId(),
                e.getMessage(),
                topics.deadLetters());
        metrics.deadLettered("malformed");
        metrics.completed("unknown", TaskStatus.FAILED);
        Instant now = clock.instant();
        TaskResult failed = new TaskResult(
                origin.derivedId(),
                "unknown",
                TaskStatus.FAILED,
                1,
                workerId,
                origin.timestamp(),
                now,
                now,
                now,
                null,
                new TaskError("malformed", e.getMessage()));
        return CompletableFuture.allOf(
                publisher.deadLetter(record, "malformed", e.getClass().getName(), e.getMessage(), 0),
                publisher.result(failed));
    }

    private static Instant notBefore(ConsumerRecord<byte[], byte[]> record) {
        String text = RecordHeaders.get(record.headers(), RecordHeaders.NOT_BEFORE);
        if (text == null) {
            return null;
        }
        try {
            return Instant.ofEpochMilli(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return null; // run it now rather than never
        }
    }

    private void drainCompletions() {
        Completion c;
        while ((c = completions.poll()) != null) {
            held.decrementAndGet();
            OffsetTracker tracker = trackers.get(c.partition());
            if (c.done() && tracker == c.owner()) {
                tracker.finished(c.offset());
            }
        }
    }

    private void applyPauses() {
        Set<TopicPartition> assignment = consumer.assignment();
        Instant now = clock.instant();
        delayedUntil.entrySet().removeIf(e -> !e.getValue().isAfter(now) || !assignment.contains(e.getKey()));
        int depth = held.get();
        if (!backpressure && depth + maxPollRecords > capacity) {
            backpressure = true;
            pauses.increment();
            log.debug("Queue holds {} of {}: pausing {} partitions", depth, capacity, assignment.size());
        } else if (backpressure && depth <= lowWatermark) {
            backpressure = false;
            log.debug("Queue down to {}: resuming", depth);
        }
        Set<TopicPartition> desired = backpressure ? new HashSet<>(assignment) : new HashSet<>(delayedUntil.keySet());
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

    private void commitIfDue(boolean force) {
        Instant now = clock.instant();
        if (!force && now.isBefore(lastCommit.plus(commitInterval))) {
            return;
        }
        lastCommit = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(trackers.keySet());
        if (offsets.isEmpty()) {
            return;
        }
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error != null) {
                log.warn("Offset commit failed (will retry with the next one): {}", error.toString());
            }
        });
        markCommitted(offsets);
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

    private void commitSync(Collection<TopicPartition> partitions) {
        drainCompletions();
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions);
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(5));
            markCommitted(offsets);
        } catch (RuntimeException e) {
            log.warn("Offset commit for {} failed: {}", offsets.keySet(), e.toString());
        }
    }

    private void drainAndClose() {
        try {
            consumer.pause(consumer.assignment());
            paused = Set.copyOf(consumer.assignment());
            Instant deadline = clock.instant().plus(shutdownTimeout);
            while (held.get() > 0 && clock.instant().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(50)); // keeps the membership alive; everything is paused
                drainCompletions();
            }
            if (held.get() > 0) {
                log.warn(
                        "{} tasks still running after {} ms; they stay uncommitted and will run again elsewhere",
                        held.get(),
                        shutdownTimeout.toMillis());
            }
            commitSync(trackers.keySet());
        } catch (RuntimeException e) {
            log.warn("Error while stopping the poll loop: {}", e.toString());
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /** Runs inside {@code poll()}, on the poll thread. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitSync(partitions);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (backpressure && !partitions.isEmpty()) {
                consumer.pause(partitions); // before this poll returns any of their records
            }
            log.debug("Assigned {}", partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                trackers.remove(tp);
                delayedUntil.remove(tp);
            });
        }
    }
}
