package io.conveyor.consumers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.ThrottledWarning;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of the control topic (no consumer group: every worker must see every
 * cancellation) from the beginning of its retention, and applies cancellations. A record it cannot
 * use (no task id in the key, a key that is not UTF-8, a value that is not a control message, an
 * action from a newer writer) is skipped and counted ({@code
 * conveyor_worker_control_skipped_total{reason}}), never stops it; tombstones are the compacted
 * topic's own and pass silently. Runs on its own platform thread {@code conveyor-control-N}, which
 * alone owns its consumer; {@link #stop()} may be called from any thread.
 */
final class ControlListener implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlListener.class);

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final Cancellations cancellations;
    private final FatalErrors fatal;
    private final WorkerMetrics metrics;
    private final ThrottledWarning skipping = new ThrottledWarning(log);
    private volatile boolean running = true;

    ControlListener(
            Consumer<byte[], byte[]> consumer,
            String topic,
            Cancellations cancellations,
            FatalErrors fatal,
            WorkerMetrics metrics) {
        this.consumer = consumer;
        this.topic = topic;
        this.cancellations = cancellations;
        this.fatal = fatal;
        this.metrics = metrics;
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long lastPrune = System.nanoTime();
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                }
                if (System.nanoTime() - lastPrune > Duration.ofMinutes(1).toNanos()) {
                    cancellations.prune();
                    lastPrune = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            // without it cancellations never reach this worker: stop rather than run on half-deaf
            fatal.report(
                    "worker control listener",
                    AccessDenied.find(e, "READ", AccessDenied.Names.topic(topic))
                            .map(AccessDenied.Refusal::message)
                            .orElse("reading " + topic + " failed: " + e),
                    e);
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    /** Applies one control record, or skips and counts it; never throws. */
    void apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return; // a tombstone: how a compacted topic forgets a key
        }
        try {
            String reason;
            String id = taskId(r.key());
            Optional<String> action = TaskCodec.controlAction(r.value());
            if (id == null) {
                reason = r.key() == null || r.key().length == 0 ? "no_key" : "unreadable";
            } else if (action.isEmpty()) {
                reason = "unreadable";
            } else if (action.get().equals("cancel")) {
                cancellations.cancel(id);
                return;
            } else {
                reason = "unknown_action";
            }
            skip(r, reason);
        } catch (RuntimeException e) {
            skip(r, "unreadable");
        }
    }

    private void skip(ConsumerRecord<byte[], byte[]> r, String reason) {
        metrics.controlSkipped(reason);
        skipping.warn(
                "Skipping a control record at {}-{}@{} ({}): it is not a cancellation this worker can apply",
                r.topic(),
                r.partition(),
                r.offset(),
                reason);
    }

    /** The key as a task id: its UTF-8 text, or null when there is none or it is not UTF-8. */
    private static String taskId(byte[] key) {
        if (key == null || key.length == 0) {
            return null;
        }
        try {
            String id = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
            return id.isBlank() ? null : id;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
