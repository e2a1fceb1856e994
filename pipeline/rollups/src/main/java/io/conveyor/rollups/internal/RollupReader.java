package io.conveyor.rollups.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.ConsumerMembership;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.Topics;
import io.conveyor.rollups.RollupWindow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the closed windows on {@code conveyor.rollups} (read-committed, no consumer group: every
 * partition, from a little more than the longest window back) and, every 5 s, the worker group's
 * lag on the task topics.
 *
 * <p>Threads: the thread {@code conveyor-rollup-reader} owns the consumer and calls the window
 * sink; the virtual thread {@code conveyor-rollup-backlog} owns the Admin client and calls the
 * backlog sink; {@link #close()} (any thread) wakes both and waits for them to end.
 */
public final class RollupReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RollupReader.class);
    private static final Duration BACKLOG_EVERY = Duration.ofSeconds(5);

    private final ConveyorConfig config;
    private final Topics topics;
    private final Consumer<RollupWindow> windows;
    private final DoubleConsumer backlog;
    private final FatalErrors fatal;
    private final SkippedRecords skipped;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Admin admin;
    private final Duration lookback;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final Thread thread;
    private final Thread backlogThread;
    private volatile boolean caughtUp;
    private Map<TopicPartition, Long> endsAtStart;

    private RollupReader(
            ConveyorConfig config,
            Consumer<RollupWindow> windows,
            DoubleConsumer backlog,
            FatalErrors fatal,
            SkippedRecords skipped) {
        this.config = config;
        this.fatal = fatal;
        this.skipped = skipped;
        this.topics = config.topics();
        this.windows = windows;
        this.backlog = backlog;
        Map<String, Object> props = config.consumerProperties(ConsumerMembership.NONE);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "conveyor-rollup-reader");
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.admin = Admin.create(config.kafkaProperties(KafkaClientKind.ADMIN));
        List<Duration> sizes = config.get(ConveyorConfig.ROLLUP_WINDOWS);
        this.lookback = sizes.getLast()
                .multipliedBy(2)
                .plusMillis(config.get(ConveyorConfig.ROLLUP_GRACE_MS))
                .plusMinutes(1);
        this.thread =
                Thread.ofPlatform().name("conveyor-rollup-reader").daemon().unstarted(this::run);
        this.backlogThread = Thread.ofVirtual().name("conveyor-rollup-backlog").unstarted(this::measureBacklog);
    }

    /** {@code skipped} counts the records of the rollups topic that are not windows. */
    public static RollupReader start(
            ConveyorConfig config,
            Consumer<RollupWindow> windows,
            DoubleConsumer backlog,
            FatalErrors fatal,
            SkippedRecords skipped) {
        RollupReader reader = new RollupReader(config, windows, backlog, fatal, skipped);
        reader.thread.start();
        reader.backlogThread.start();
        return reader;
    }

    /** Whether the windows on the topic when reading began have all been read. */
    public boolean caughtUp() {
        return caughtUp;
    }

    private void run() {
        try {
            while (stopping.getCount() > 0) {
                if (endsAtStart == null && !assign()) {
                    stopping.await(1, TimeUnit.SECONDS);
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read(r);
                }
                if (!caughtUp) {
                    caughtUp = endsAtStart.entrySet().stream()
                            .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            var refusal = AccessDenied.find(e, "READ", AccessDenied.Names.topic(topics.rollups()));
            if (refusal.isPresent()) {
                fatal.report("rollup reader", refusal.get().message(), e);
            } else {
                log.error("The rollup reader stopped; /v1/stats and the conveyor_rollup_* gauges no longer change", e);
            }
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    private void measureBacklog() {
        try {
            do {
                backlog.accept(lag());
            } while (!stopping.await(BACKLOG_EVERY.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            admin.close(Duration.ofSeconds(2));
        }
    }

    /** Assigns every partition of the rollups topic from the lookback on; false while it is missing. */
    private boolean assign() {
        List<PartitionInfo> infos = consumer.partitionsFor(topics.rollups(), Duration.ofSeconds(5));
        if (infos == null || infos.isEmpty()) {
            log.debug("{} does not exist yet; waiting", topics.rollups());
            return false;
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        consumer.assign(partitions);
        long from = System.currentTimeMillis() - lookback.toMillis();
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(p -> times.put(p, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(times, Duration.ofSeconds(5));
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(5));
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp o = offsets.get(p);
            consumer.seek(p, o != null ? o.offset() : ends.get(p));
        }
        endsAtStart = ends;
        return true;
    }

    private void read(ConsumerRecord<byte[], byte[]> r) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        if (r.value() == null) {
            skipped.skipped(SkippedRecords.ROLLUPS, SkippedRecords.NO_VALUE, where, "a tombstone");
            return;
        }
        try {
            windows.accept(RollupWindow.decode(r.value()));
        } catch (RuntimeException e) {
            // not a window, or one the figures cannot take: either way the reader goes on
            skipped.skipped(SkippedRecords.ROLLUPS, SkippedRecords.UNREADABLE, where, e.getMessage());
        }
    }

    /** Task records the worker group has not consumed, over the task and retry topics; NaN if unknown. */
    private double lag() {
        try {
            List<String> names = new ArrayList<>(topics.taskTopics());
            names.add(topics.retry());
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            admin.describeTopics(names)
                    .allTopicNames()
                    .get(2, TimeUnit.SECONDS)
                    .values()
                    .forEach(d -> d.partitions().forEach(p -> {
                        TopicPartition tp = new TopicPartition(d.name(), p.partition());
                        latest.put(tp, OffsetSpec.latest());
                        earliest.put(tp, OffsetSpec.earliest());
                    }));
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(
                            config.get(ConveyorConfig.WORKER_GROUP))
                    .partitionsToOffsetAndMetadata()
                    .get(2, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(latest).all().get(2, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
                    admin.listOffsets(earliest).all().get(2, TimeUnit.SECONDS);
            long lag = 0;
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long from = c != null ? c.offset() : starts.get(e.getKey()).offset();
                lag += Math.max(0, e.getValue().offset() - from);
            }
            return lag;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        } catch (Exception e) {
            log.debug("Could not read the worker group's lag: {}", e.toString());
            return Double.NaN;
        }
    }

    @Override
    public void close() {
        stopping.countDown();
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(5));
            backlogThread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
