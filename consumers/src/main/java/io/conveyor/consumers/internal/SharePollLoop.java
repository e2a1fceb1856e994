package io.conveyor.consumers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.FatalErrors;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop of a share-group worker (KIP-932): any number of workers share the task topics'
 * partitions record by record, so a deployment can run more workers than partitions. Runs on one
 * platform thread ({@code conveyor-share-N}) that alone owns the {@link ShareConsumer}.
 *
 * <p>Acknowledgements map onto Conveyor's own outcomes: ACCEPT once the record is handled
 * (succeeded, cancelled, or re-queued on the retry topic with its backoff), REJECT once it is
 * dead-lettered, RELEASE when this worker cannot finish it (stopping, or its writes failed) so
 * that another worker gets it. Retries keep going through Conveyor's retry topic (read by a
 * consumer-group loop), because a released record would come back at once, without backoff.
 *
 * <p>In explicit acknowledgement mode every record of a poll must be acknowledged before the
 * next poll, so a batch is at most {@code max.poll.records} records, run in parallel, and
 * settled before the next; records must finish within the broker's acquisition lock ({@code
 * group.share.record.lock.duration.ms}, 30 s by default) or another worker gets them too.
 */
final class SharePollLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SharePollLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private record Settled(ConsumerRecord<byte[], byte[]> record, Disposition disposition, Throwable error) {}

    private final ShareConsumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final Intake intake;
    private final Duration shutdownTimeout;
    private final FatalErrors fatal;
    private final AtomicInteger held = new AtomicInteger();
    private volatile boolean running = true;

    SharePollLoop(
            ShareConsumer<byte[], byte[]> consumer,
            List<String> topics,
            Intake intake,
            Duration shutdownTimeout,
            FatalErrors fatal) {
        this.consumer = consumer;
        this.fatal = fatal;
        this.topics = List.copyOf(topics);
        this.intake = intake;
        this.shutdownTimeout = shutdownTimeout;
    }

    int queueDepth() {
        return held.get();
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        consumer.subscribe(topics);
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty()) {
                    settle(records);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            running = false;
            fatal.report(
                    "worker share loop " + topics,
                    AccessDenied.find(e, "READ", AccessDenied.Names.NONE)
                            .map(AccessDenied.Refusal::message)
                            .orElse("the share loop failed: " + e),
                    e);
        } finally {
            try {
                consumer.commitSync(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("Final acknowledgement commit: {}", e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Runs a batch and acknowledges each record as it settles. */
    private void settle(ConsumerRecords<byte[], byte[]> records) {
        BlockingQueue<Settled> settled = new LinkedBlockingQueue<>();
        Set<ConsumerRecord<byte[], byte[]>> pending = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            pending.add(r);
            held.incrementAndGet();
            intake.accept(r, (d, e) -> settled.add(new Settled(r, d, e)));
        }
        Instant deadline = null;
        try {
            while (!pending.isEmpty()) {
                if (!running && deadline == null) {
                    deadline = Instant.now().plus(shutdownTimeout);
                }
                if (deadline != null && Instant.now().isAfter(deadline)) {
                    log.warn(
                            "{} records still running after {} ms; releasing them to other workers",
                            pending.size(),
                            shutdownTimeout.toMillis());
                    for (ConsumerRecord<byte[], byte[]> r : pending) {
                        consumer.acknowledge(r, AcknowledgeType.RELEASE);
                        held.decrementAndGet();
                    }
                    pending.clear();
                    break;
                }
                Settled s = settled.poll(50, TimeUnit.MILLISECONDS);
                if (s != null && pending.remove(s.record())) {
                    held.decrementAndGet();
                    consumer.acknowledge(s.record(), type(s));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.forEach(r -> consumer.acknowledge(r, AcknowledgeType.RELEASE));
        }
        consumer.commitAsync(); // send the acknowledgements now, not with the next poll
    }

    private static AcknowledgeType type(Settled s) {
        if (s.error() != null) {
            log.warn(
                    "Writes for {}-{}@{} failed; releasing it to another worker",
                    s.record().topic(),
                    s.record().partition(),
                    s.record().offset(),
                    s.error());
            return AcknowledgeType.RELEASE;
        }
        return s.disposition() == Disposition.DEAD_LETTERED ? AcknowledgeType.REJECT : AcknowledgeType.ACCEPT;
    }
}
