package io.conveyor.bench.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The baselines' result production, byte for byte what a Conveyor worker writes for a task that
 * succeeds: a {@code RUNNING} and a {@code SUCCEEDED} {@link TaskResult}, JSON-encoded by {@link
 * TaskCodec}, keyed by task id, on the results topic, through a producer with the worker's
 * settings (acks=all, idempotent, linger 5 ms). Thread-safe (the KafkaProducer is).
 */
final class ResultWriter implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final TaskCodec codec = new TaskCodec();
    private final String topic;
    private final String workerId;

    ResultWriter(String bootstrap, String topic, String clientId, String workerId) {
        this.producer = new KafkaProducer<>(properties(bootstrap, clientId));
        this.topic = topic;
        this.workerId = workerId;
    }

    /** The settings of the worker's producer (see WorkerRuntime). */
    static Map<String, Object> properties(String bootstrap, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }

    CompletableFuture<Void> running(Task task, Instant started) {
        return send(change(task, TaskStatus.RUNNING, started, null, null));
    }

    CompletableFuture<Void> succeeded(Task task, Instant started, Instant finished, JsonNode result) {
        return send(change(task, TaskStatus.SUCCEEDED, started, finished, result));
    }

    private TaskResult change(Task task, TaskStatus status, Instant started, Instant finished, JsonNode result) {
        return new TaskResult(
                task.id(),
                task.type(),
                status,
                task.attempt(),
                workerId,
                task.submittedAt(),
                started,
                finished,
                finished != null ? finished : started,
                result,
                null);
    }

    private CompletableFuture<Void> send(TaskResult result) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        producer.send(
                new ProducerRecord<>(topic, result.taskId().getBytes(StandardCharsets.UTF_8), codec.encode(result)),
                (metadata, error) -> {
                    if (error == null) {
                        acked.complete(null);
                    } else {
                        acked.completeExceptionally(error);
                    }
                });
        return acked;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
