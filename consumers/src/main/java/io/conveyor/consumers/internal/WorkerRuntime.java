package io.conveyor.consumers.internal;

import io.conveyor.consumers.HandlerRegistry;
import io.conveyor.consumers.Worker;
import io.conveyor.core.ConsumerMembership;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.Meters;
import io.conveyor.core.TaskCodec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Assembles a worker: its clients, poll loop, runner, threads and meters. */
public final class WorkerRuntime implements Worker {
    private static final Logger log = LoggerFactory.getLogger(WorkerRuntime.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    static final int MAX_POLL_RECORDS = 500;
    private static final int FETCH_MAX_WAIT_MS = 25;
    private static final int MAX_PARTITION_FETCH_BYTES = 256 * 1024;
    private static final String RANGE_ASSIGNOR = "range";
    private static final int CLASSIC_SESSION_TIMEOUT_MS = 10_000;

    private final String id;
    private final KafkaProducer<byte[], byte[]> producer;
    private final PollLoop loop;
    private final Dispatcher dispatcher;
    private final ControlListener control;
    private final Thread pollThread;
    private final Thread controlThread;
    private final ShareLoops shareLoops;
    private final ScheduledExecutorService timeouts;
    private final List<KafkaClientMetrics> clientMetrics;
    private final int capacity;
    private final Runnable recoveryNotice;

    private WorkerRuntime(
            ConveyorConfig config, HandlerRegistry handlers, MeterRegistry registry, Clock clock, FatalErrors fatal) {
        int index = INSTANCES.getAndIncrement();
        this.id = config.workerId();
        this.capacity = config.get(ConveyorConfig.WORKER_QUEUE_CAPACITY);
        int maxPollRecords = Math.max(1, Math.min(MAX_POLL_RECORDS, capacity / 4));
        this.producer = new KafkaProducer<>(producerProperties(config, index));
        boolean shareMode = config.get(ConveyorConfig.WORKER_MODE).equals("share");
        String group = config.get(ConveyorConfig.WORKER_GROUP);
        // in share mode the share group reads the task topics and a consumer group only the retry topic
        Map<String, Object> consumerProps =
                consumerProperties(config, shareMode ? group + ".retry" : group, index, maxPollRecords);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
        boolean classic = GroupProtocol.CLASSIC
                .name()
                .equalsIgnoreCase(String.valueOf(consumerProps.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)));
        this.recoveryNotice = () -> RecoveryNotice.log(
                config,
                id,
                group,
                shareMode ? "share.session.timeout.ms" : classic ? null : "consumer.session.timeout.ms",
                consumerProps.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG));
        this.timeouts = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "conveyor-timeouts-" + index);
            t.setDaemon(true);
            return t;
        });
        TaskCodec codec = new TaskCodec(clock);
        Publisher publisher = new Publisher(producer, codec, config.topics());
        WorkerMetrics metrics = new WorkerMetrics(registry);
        Backoff backoff = new Backoff(
                Duration.ofMillis(config.get(ConveyorConfig.WORKER_RETRY_BACKOFF_MS)),
                Duration.ofMillis(config.get(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS)),
                new SplittableRandom());
        Cancellations cancellations = new Cancellations(clock, Duration.ofDays(1));
        AttemptRunner runner =
                new AttemptRunner(handlers, publisher, cancellations, timeouts, backoff, clock, id, metrics);
        RecordRunner records = new RecordRunner(runner, publisher, codec, config.topics(), clock, metrics, id);
        this.dispatcher = new Dispatcher(
                config.get(ConveyorConfig.WORKER_CONCURRENCY),
                config.get(ConveyorConfig.WORKER_TYPE_CONCURRENCY),
                config.get(ConveyorConfig.WORKER_ORDERING).equals("key"),
                records::run);
        Intake intake = new Intake(dispatcher, records, config.topics(), dispatcher.needsTypes());
        List<String> groupTopics =
                new ArrayList<>(shareMode ? List.of() : config.topics().taskTopics());
        groupTopics.add(config.topics().retry());
        this.loop = new PollLoop(
                consumer,
                dispatcher,
                intake,
                groupTopics,
                config.topics(),
                clock,
                metrics,
                fatal,
                shareMode ? group + ".retry" : group,
                capacity,
                maxPollRecords,
                new PollLoop.Deadlines(
                        Duration.ofSeconds(1),
                        Duration.ofMillis(config.get(ConveyorConfig.WORKER_REVOKE_TIMEOUT_MS)),
                        Duration.ofMillis(config.get(ConveyorConfig.WORKER_SHUTDOWN_TIMEOUT_MS))));
        KafkaConsumer<byte[], byte[]> controlConsumer = new KafkaConsumer<>(controlProperties(config, index));
        this.control = new ControlListener(controlConsumer, config.topics().control(), cancellations, fatal, metrics);
        this.controlThread = new Thread(control, "conveyor-control-" + index);
        this.shareLoops = shareMode ? new ShareLoops(config, group, index, intake, fatal) : null;
        List<KafkaClientMetrics> bound = new ArrayList<>(List.of(
                new KafkaClientMetrics(consumer),
                new KafkaClientMetrics(controlConsumer),
                new KafkaClientMetrics(producer)));
        if (shareLoops != null) {
            bound.addAll(shareLoops.clientMetrics());
        }
        this.clientMetrics = List.copyOf(bound);
        clientMetrics.forEach(m -> m.bindTo(registry));
        gauge(registry, Meters.WORKER_QUEUE_DEPTH, WorkerRuntime::queueDepth);
        gauge(registry, Meters.WORKER_QUEUE_CAPACITY, w -> w.capacity);
        gauge(registry, Meters.WORKER_INFLIGHT, WorkerRuntime::inflight);
        gauge(
                registry,
                Meters.WORKER_PAUSED_PARTITIONS,
                w -> w.pausedPartitions().size());
        this.pollThread = new Thread(loop, "conveyor-poll-" + index);
    }

    public static Worker start(ConveyorConfig config, HandlerRegistry handlers, MeterRegistry registry, Clock clock) {
        return start(config, handlers, registry, clock, new FatalErrors());
    }

    /** Starts a worker that reports errors it cannot recover from to {@code fatal} and stops. */
    public static Worker start(
            ConveyorConfig config, HandlerRegistry handlers, MeterRegistry registry, Clock clock, FatalErrors fatal) {
        WorkerRuntime worker = new WorkerRuntime(config, handlers, registry, clock, fatal);
        worker.controlThread.start();
        worker.pollThread.start();
        if (worker.shareLoops != null) {
            worker.shareLoops.start();
        }
        log.info("Worker {} started with handlers {}", worker.id, handlers.types());
        worker.recoveryNotice.run();
        return worker;
    }

    private void gauge(
            MeterRegistry registry,
            io.conveyor.core.MeterSpec spec,
            java.util.function.ToDoubleFunction<WorkerRuntime> f) {
        Gauge.builder(spec.name(), this, f)
                .description(spec.description())
                .strongReference(true)
                .register(registry);
    }

    private static Map<String, Object> consumerProperties(
            ConveyorConfig config, String group, int index, int maxPollRecords) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "conveyor-worker-" + index);
        // The broker holds a fetch for partitions with nothing new (the empty high-priority and
        // retry partitions, while the others are paused) up to fetch.max.wait.ms, and the consumer
        // sends no other fetch to that broker meanwhile: at the default 500 ms, resumed partitions
        // waited that long for their first records. Overridable (kafka.consumer.fetch.max.wait.ms).
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
        // Fetched records of paused partitions stay buffered in the consumer, outside the queue's
        // bound: at Kafka's default of 1 MiB a partition they were most of an overloaded worker's
        // heap. A quarter of that still keeps the run slots fed. Overridable likewise.
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_PARTITION_FETCH_BYTES);
        props.putAll(config.consumerProperties(ConsumerMembership.CONSUMER_GROUP));
        if (GroupProtocol.CONSUMER
                        .name()
                        .equalsIgnoreCase(String.valueOf(props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))
                && !props.containsKey(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG)) {
            // The brokers' default assignor (uniform) balances the count of partitions over all the
            // topics a member reads, so one worker could own every partition of the one priority
            // that has work while another owned only idle ones. Range spreads each topic's
            // partitions over all members. (The classic protocol's default, RangeAssignor, does too.)
            props.put(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, RANGE_ASSIGNOR);
        }
        if (GroupProtocol.CLASSIC
                        .name()
                        .equalsIgnoreCase(String.valueOf(props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))
                && !props.containsKey(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG)) {
            // in the classic protocol the member sets how long a dead worker keeps its partitions
            // (Kafka's 45 s default); with the consumer protocol the brokers (or the group's config) do
            props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, CLASSIC_SESSION_TIMEOUT_MS);
        }
        // correctness depends on these; they are not overridable
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }

    private static Map<String, Object> controlProperties(ConveyorConfig config, int index) {
        // assigned, not subscribed: every worker reads every cancellation
        Map<String, Object> props = config.consumerProperties(ConsumerMembership.NONE);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "conveyor-worker-control-" + index);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }

    private static Map<String, Object> producerProperties(ConveyorConfig config, int index) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "conveyor-worker-producer-" + index);
        props.putAll(config.kafkaProperties(KafkaClientKind.PRODUCER));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int queueDepth() {
        return loop.queueDepth() + (shareLoops == null ? 0 : shareLoops.queueDepth());
    }

    @Override
    public int inflight() {
        return dispatcher.running();
    }

    @Override
    public Set<TopicPartition> pausedPartitions() {
        return loop.pausedPartitions();
    }

    @Override
    public void close() {
        if (shareLoops != null) {
            shareLoops.stop();
        }
        loop.stop();
        control.stop();
        try {
            if (shareLoops != null) {
                shareLoops.join();
            }
            pollThread.join();
            controlThread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        timeouts.shutdownNow();
        try {
            timeouts.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clientMetrics.forEach(KafkaClientMetrics::close);
        log.info("Worker {} stopped", id);
    }
}
