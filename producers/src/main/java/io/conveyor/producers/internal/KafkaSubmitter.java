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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes accepted tasks to their priority topic with an idempotent, {@code acks=all} producer,
 * plus a {@code QUEUED} change on the results topic so the task can be looked up at once. The
 * returned stage completes when Kafka acknowledged the task record (not before: a 202 means
 * durable). Thread-safe.
 *
 * <p>The producer's metadata for every Conveyor topic is fetched in the constructor, so {@code
 * send} does not block for metadata on the caller's thread.
 */
public final class KafkaSubmitter implements AutoCloseable {
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
        this.metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
        for (String topic : topics.taskTopics()) {
            producer.partitionsFor(topic);
        }
        producer.partitionsFor(topics.results());
    }

    /** Sends the task; completes with it once Kafka acknowledged the write. */
    public CompletionStage<Task> submit(Task task) {
        CompletableFuture<Task> acked = new CompletableFuture<>();
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topics.tasks(task.priority()), key, codec.encode(task)), (md, error) -> {
            if (error == null) {
                acked.complete(task);
            } else {
                acked.completeExceptionally(error);
            }
        });
        producer.send(new ProducerRecord<>(
                topics.results(), task.id().getBytes(StandardCharsets.UTF_8), codec.encode(TaskResult.queued(task))));
        return acked;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        metrics.close();
    }
}
