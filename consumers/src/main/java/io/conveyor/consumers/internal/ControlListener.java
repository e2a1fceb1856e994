package io.conveyor.consumers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.TaskCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of the control topic (no consumer group: every worker must see every
 * cancellation) from the beginning of its retention, and applies cancellations. Runs on its own
 * platform thread {@code conveyor-control-N}, which alone owns its consumer; {@link #stop()} may
 * be called from any thread.
 */
final class ControlListener implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlListener.class);

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final Cancellations cancellations;
    private final FatalErrors fatal;
    private volatile boolean running = true;

    ControlListener(Consumer<byte[], byte[]> consumer, String topic, Cancellations cancellations, FatalErrors fatal) {
        this.consumer = consumer;
        this.topic = topic;
        this.cancellations = cancellations;
        this.fatal = fatal;
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
                    if (r.key() != null && r.value() != null && TaskCodec.isCancellation(r.value())) {
                        cancellations.cancel(new String(r.key(), StandardCharsets.UTF_8));
                    }
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
}
