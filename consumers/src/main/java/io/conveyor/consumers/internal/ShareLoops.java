package io.conveyor.consumers.internal;

import io.conveyor.core.ConsumerMembership;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.KafkaClientKind;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The share-group side of a worker in {@code worker.mode=share}: one share consumer, poll loop and
 * thread ({@code conveyor-share-N-<priority>}) per task topic, all members of the one share group
 * {@code worker.group}.
 *
 * <p>One member per topic, not one for all three: the brokers' share assignor balances the count
 * of partitions a member gets over everything it subscribes to, so with one member reading all
 * three topics a worker could get three partitions of the one busy priority and another worker
 * one. Members that each read one topic are assigned per topic (the assignor spreads a topic over
 * the members subscribed to it), so the work of any one priority spreads over every worker.
 *
 * <p>Threads: each loop owns its consumer on its own thread; the methods here are called by the
 * worker's owner ({@link WorkerRuntime}), once each, except {@link #queueDepth()} (any thread).
 */
final class ShareLoops {
    private final List<SharePollLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<KafkaClientMetrics> metrics = new ArrayList<>();

    ShareLoops(ConveyorConfig config, String group, int index, Intake intake, FatalErrors fatal) {
        enableEarliestReset(config, group);
        Duration shutdown = Duration.ofMillis(config.get(ConveyorConfig.WORKER_SHUTDOWN_TIMEOUT_MS));
        for (String topic : config.topics().taskTopics()) {
            String name = index + "-"
                    + config.topics().priorityOf(topic).orElseThrow().wireName();
            KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(properties(config, group, name));
            metrics.add(ShareConsumerMetrics.of(consumer));
            SharePollLoop loop = new SharePollLoop(consumer, List.of(topic), intake, shutdown, fatal);
            loops.add(loop);
            threads.add(new Thread(loop, "conveyor-share-" + name));
        }
    }

    /** The share consumers' client meters, bound by the worker and closed with it. */
    List<KafkaClientMetrics> clientMetrics() {
        return List.copyOf(metrics);
    }

    void start() {
        threads.forEach(Thread::start);
    }

    int queueDepth() {
        int depth = 0;
        for (SharePollLoop loop : loops) {
            depth += loop.queueDepth();
        }
        return depth;
    }

    /** Asks every loop to stop; {@link #join()} waits for them. */
    void stop() {
        loops.forEach(SharePollLoop::stop);
    }

    void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    /** A new share group starts at the latest offset; tasks written before it started must run too. */
    private static void enableEarliestReset(ConveyorConfig config, String group) {
        try (Admin admin = Admin.create(config.kafkaProperties(KafkaClientKind.ADMIN))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            admin.incrementalAlterConfigs(Map.of(
                            resource,
                            List.of(new AlterConfigOp(
                                    new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET))))
                    .all()
                    .get(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring share group " + group, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "could not configure share group " + group + " (share.auto.offset.reset=earliest): "
                            + io.conveyor.core.AccessDenied.find(
                                            e, "ALTER_CONFIGS", io.conveyor.core.AccessDenied.Names.group(group))
                                    .map(io.conveyor.core.AccessDenied.Refusal::message)
                                    .orElse(e.getMessage() + "; share groups need Kafka 4.2 or newer"),
                    e);
        }
    }

    private static Map<String, Object> properties(ConveyorConfig config, String group, String name) {
        Map<String, Object> props = config.consumerProperties(ConsumerMembership.SHARE_GROUP);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "conveyor-worker-share-" + name);
        props.put(
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                Math.min(WorkerRuntime.MAX_POLL_RECORDS, config.get(ConveyorConfig.WORKER_CONCURRENCY)));
        props.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // acquire no more than one batch of work, so that other workers get the rest
        props.put(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }
}
