package io.conveyor.producers.internal;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes accepted tasks to their priority topic with an idempotent, {@code acks=all} producer,
 * plus, once Kafka acknowledged the task, a {@code QUEUED} change on the results topic so the task
 * can be looked up at once. The returned stage completes when Kafka acknowledged the task record
 * (not before: a 202 means durable). Thread-safe; the {@code QUEUED} change is sent from the
 * producer's I/O thread, in the task record's callback.
 *
 * <p>The producer's metadata for the task and results topics is fetched in the constructor, so
 * {@code send} does not block for metadata on the caller's thread; if it cannot be, the constructor
 * closes the producer and says which topic is missing.
 */
public final class KafkaSubmitter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaSubmitter.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaClientMetrics metrics;
    private final TaskCodec codec;
    private final Topics topics;

    public KafkaSubmitter(ConveyorConfig config, TaskCodec codec, MeterRegistry registry) {
        this.codec = codec;
        this.topics = config.topics();
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "conveyor-api");
        props.putAll(config.kafkaProperties(KafkaClientKind.PRODUCER));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        this.producer = new KafkaProducer<>(props);
        List<String> written = new ArrayList<>(topics.taskTopics());
        written.add(topics.results());
        for (String topic : written) {
            fetchMetadata(topic, config.bootstrapServers());
        }
        this.metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
    }

    /** Fetches the metadata of one topic, closing the producer if it cannot. */
    private void fetchMetadata(String topic, String bootstrapServers) {
        try {
            producer.partitionsFor(topic);
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            throw new IllegalStateException(
                    "cannot write to topic " + topic + " on " + bootstrapServers + " (" + e.getMessage()
                            + "); create Conveyor's topics with `conveyor topics` (same topics.prefix) and check"
                            + " kafka.bootstrap.servers",
                    e);
        }
    }

    /**
     * Sends the task; completes with it once Kafka acknowledged the write. Only then is the {@code
     * QUEUED} change written, so a task Kafka refused never shows as queued.
     */
    public CompletionStage<Task> submit(Task task) {
        CompletableFuture<Task> acked = new CompletableFuture<>();
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topics.tasks(task.priority()), key, codec.encode(task)), (md, error) -> {
            if (error == null) {
                queued(task);
                acked.complete(task);
            } else {
                acked.completeExceptionally(error);
            }
        });
        return acked;
    }

    /** Writes the {@code QUEUED} change of an acknowledged task; runs on the producer's I/O thread. */
    private void queued(Task task) {
        try {
            producer.send(
                    new ProducerRecord<>(
                            topics.results(),
                            task.id().getBytes(StandardCharsets.UTF_8),
                            codec.encode(TaskResult.queued(task))),
                    (md, error) -> {
                        if (error != null) {
                            log.warn(
                                    "Task {} was accepted, but its QUEUED status was not written ({}); it shows once a"
                                            + " worker picks it up",
                                    task.id(),
                                    error.toString());
                        }
                    });
        } catch (RuntimeException e) {
            log.warn("Task {} was accepted, but its QUEUED status was not written ({})", task.id(), e.toString());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        metrics.close();
    }
}
