package io.conveyor.producers.internal;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes accepted tasks to their priority topic with an idempotent, {@code acks=all} producer (one
 * record per task: the rollups turn it into the task's {@code QUEUED} change, see {@code
 * ArrivalTopology}), and cancellations to the control topic.
 *
 * <p>Threads: {@code KafkaProducer.send} can block (for metadata, or while its buffer is full), so
 * no caller ever calls it. Callers (event loops) only {@code offer} to a bounded queue, which never
 * blocks; the one thread {@code conveyor-api-sender} owns every {@code send}. Acknowledgements
 * complete the returned stages on the producer's I/O thread; callers hop back to their own context.
 *
 * <p>The producer's metadata for every topic it writes is fetched in the constructor, so a missing
 * topic fails the start with a clear message.
 */
public final class KafkaSubmitter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaSubmitter.class);
    private static final Runnable STOP = () -> {};
    private static final int DRAIN = 1_024;
    private static final long BLOCKED_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long FAIL_FAST_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration METADATA_PATIENCE = Duration.ofSeconds(10);

    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaClientMetrics metrics;
    private final TaskCodec codec;
    private final Topics topics;
    private final long bufferMemory;
    private final BlockingQueue<Runnable> queue;
    private final Thread sender;
    /** Topics whose sends fail at once until the given nanoTime; sender thread only. */
    private final Map<String, Long> failFast = new HashMap<>();
    /** How long without any acknowledgement, after a failed write, means Kafka is unavailable. */
    private final long unavailableAfterNanos;
    /** When Kafka last acknowledged a write, and when a write last failed for want of Kafka (nanoTime). */
    private volatile long lastAck = System.nanoTime();

    private volatile long lastUnavailable = lastAck;
    /** While Kafka is unavailable, the nanoTime after which one more submission may try. */
    private final AtomicLong nextProbe = new AtomicLong(System.nanoTime());

    /**
     * @param queueCapacity most sends waiting for the sender thread; admission control keeps the
     *     number of tasks in flight well below it
     */
    public KafkaSubmitter(ConveyorConfig config, TaskCodec codec, MeterRegistry registry, int queueCapacity) {
        this.codec = codec;
        this.topics = config.topics();
        Map<String, Object> props = producerSettings(config);
        this.bufferMemory = Long.parseLong(String.valueOf(
                props.getOrDefault(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(32L * 1024 * 1024))));
        this.unavailableAfterNanos = TimeUnit.MILLISECONDS.toNanos(config.get(ConveyorConfig.API_SUBMIT_TIMEOUT_MS));
        this.producer = new KafkaProducer<>(props);
        List<String> written = new ArrayList<>(topics.taskTopics());
        written.add(topics.control());
        long deadline = System.nanoTime() + METADATA_PATIENCE.toNanos();
        for (String topic : written) {
            fetchMetadata(topic, config.bootstrapServers(), deadline);
        }
        this.metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.sender = Thread.ofPlatform().name("conveyor-api-sender").daemon().start(this::sendLoop);
    }

    /**
     * The producer settings of the API: Conveyor's defaults, then the user's {@code kafka.producer.*}
     * settings, then what correctness needs ({@code acks=all}, idempotence). Public so that the
     * benchmark's raw producer uses exactly the same.
     */
    public static Map<String, Object> producerSettings(ConveyorConfig config) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        // A write is acknowledged or failed within api.submit.timeout.ms, retries included: the
        // client gets its 202 or its 503 by then, never a wait of Kafka's default two minutes. A
        // request may take half of it, so that a broker that stopped answering is left in time to
        // try the partition's new leader.
        long submitTimeout = config.get(ConveyorConfig.API_SUBMIT_TIMEOUT_MS);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, Math.max(500, submitTimeout / 2)));
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "conveyor-api");
        Map<String, Object> given = config.kafkaProperties(KafkaClientKind.PRODUCER);
        props.putAll(given);
        if (!given.containsKey(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)) {
            // Kafka refuses a delivery timeout shorter than one request and its linger: a longer
            // request.timeout.ms given by the user stretches it
            long linger = Long.parseLong(String.valueOf(props.get(ProducerConfig.LINGER_MS_CONFIG)));
            long request = Long.parseLong(String.valueOf(props.get(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)));
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(submitTimeout, linger + request));
        }
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }

    /**
     * Fetches the metadata of one topic, closing the producer if it cannot. A busy cluster may take
     * longer than the producer's {@code max.block.ms} to answer, or to learn of a topic another
     * process just created: time-outs are tried again until {@code deadline} ({@link
     * #METADATA_PATIENCE} for all the topics together).
     */
    private void fetchMetadata(String topic, String bootstrapServers, long deadline) {
        try {
            while (true) {
                try {
                    producer.partitionsFor(topic);
                    return;
                } catch (TimeoutException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                }
            }
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            var refusal = AccessDenied.find(e, "WRITE", AccessDenied.Names.topic(topic));
            throw new IllegalStateException(
                    refusal.isPresent()
                            ? "cannot write to topic " + topic + ": "
                                    + refusal.get().message()
                            : "cannot write to topic " + topic + " on " + bootstrapServers + " (" + e.getMessage()
                                    + "); create Conveyor's topics with `conveyor topics` (same topics.prefix) and"
                                    + " check kafka.bootstrap.servers",
                    e);
        }
    }

    /** The producer's {@code buffer.memory}: admission control keeps in-flight bytes below it. */
    public long bufferMemory() {
        return bufferMemory;
    }

    /**
     * Queues the task (already encoded as {@code value}); the stage completes with it once Kafka
     * acknowledged the write. Never blocks.
     */
    public CompletableFuture<Task> submit(Task task, byte[] value) {
        CompletableFuture<Task> acked = new CompletableFuture<>();
        if (refuseForUnavailability(acked)) {
            return acked;
        }
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topics.tasks(task.priority()), key, value);
        enqueue(
                () -> send(record, (md, error) -> {
                    observe(error);
                    if (error == null) {
                        acked.complete(task);
                    } else {
                        acked.completeExceptionally(error);
                    }
                }),
                acked);
        return acked;
    }

    /** Queues a cancellation of the task; completes once Kafka acknowledged it. Never blocks. */
    public CompletableFuture<Void> cancel(String taskId) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        if (refuseForUnavailability(acked)) {
            return acked;
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                topics.control(), taskId.getBytes(StandardCharsets.UTF_8), codec.encodeCancellation());
        enqueue(
                () -> send(record, (md, error) -> {
                    observe(error);
                    if (error == null) {
                        acked.complete(null);
                    } else {
                        acked.completeExceptionally(error);
                    }
                }),
                acked);
        return acked;
    }

    /**
     * Whether Kafka is unavailable: a write failed for want of it (a timeout, a retriable error)
     * and none has been acknowledged for {@code api.submit.timeout.ms}. Then submissions fail at
     * once, rather than each waiting the whole timeout, but for one a second, which tries.
     */
    public boolean unavailable() {
        long ack = lastAck;
        return lastUnavailable - ack > 0 && System.nanoTime() - ack > unavailableAfterNanos;
    }

    private boolean refuseForUnavailability(CompletableFuture<?> result) {
        if (!unavailable()) {
            return false;
        }
        long now = System.nanoTime();
        long probe = nextProbe.get();
        if (now - probe >= 0 && nextProbe.compareAndSet(probe, now + PROBE_INTERVAL_NANOS)) {
            return false; // this one tries
        }
        result.completeExceptionally(new KafkaUnavailableException(
                "Kafka has acknowledged no write for " + TimeUnit.NANOSECONDS.toSeconds(now - lastAck)
                        + " s (api.submit.timeout.ms), so the task was not accepted; retry later"));
        return true;
    }

    /** On the producer's I/O thread (or the sender's): what a write's outcome says about Kafka. */
    private void observe(Exception error) {
        if (error == null) {
            lastAck = System.nanoTime();
        } else if (error instanceof RetriableException || error instanceof TimeoutException) {
            lastUnavailable = System.nanoTime();
        }
    }

    /** Kafka has been unavailable for a while, so a submission was not tried at all. */
    public static final class KafkaUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KafkaUnavailableException(String message) {
            super(message, null, false, false);
        }
    }

    private void enqueue(Runnable job, CompletableFuture<?> failOnReject) {
        if (!queue.offer(job)) {
            failOnReject.completeExceptionally(new RejectedExecutionException("the API's send queue is full"));
        }
    }

    /**
     * On the sender thread: a send that throws instead of calling back still calls back. A send that
     * blocked and failed (no metadata for its topic within {@code max.block.ms}) makes sends to that
     * topic fail at once for a second, so one missing topic does not hold up every other write.
     */
    private void send(ProducerRecord<byte[], byte[]> record, Callback callback) {
        long now = System.nanoTime();
        Long until = failFast.get(record.topic());
        if (until != null && now - until < 0) {
            callback.onCompletion(
                    null,
                    new TimeoutException(
                            "topic " + record.topic() + " had no metadata within max.block.ms moments ago"));
            return;
        }
        try {
            Future<?> sent = producer.send(record, callback);
            if (System.nanoTime() - now > BLOCKED_NANOS && sent.isDone() && failed(sent)) {
                failFast.put(record.topic(), System.nanoTime() + FAIL_FAST_NANOS);
            }
        } catch (RuntimeException e) {
            callback.onCompletion(null, e);
        }
    }

    private static boolean failed(Future<?> future) {
        try {
            future.get(0, TimeUnit.MILLISECONDS);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return true;
        }
    }

    private void sendLoop() {
        List<Runnable> jobs = new ArrayList<>(DRAIN);
        while (true) {
            try {
                jobs.add(queue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queue.drainTo(jobs, DRAIN - 1);
            for (Runnable job : jobs) {
                if (job == STOP) {
                    return;
                }
                job.run();
            }
            jobs.clear();
        }
    }

    /** Sends what is queued, flushes, and closes the producer, waiting at most {@code timeout}. */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (queue.offer(STOP, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sender.interrupt();
        // close(timeout) flushes: it sends every buffered record and waits for the acknowledgements
        producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        metrics.close();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
