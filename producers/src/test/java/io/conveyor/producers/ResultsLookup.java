package io.conveyor.producers;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A stand-in for the rollups' status table in API tests: a thread ({@code results-lookup}) reads a
 * one-partition results topic and merges each task's changes; {@link #find} answers from memory
 * and never blocks.
 */
final class ResultsLookup implements TaskStatusLookup, AutoCloseable {
    private final Map<String, TaskResult> tasks = new ConcurrentHashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread reader;
    private final TaskCodec codec = new TaskCodec();

    ResultsLookup(Map<String, Object> clientConfig, String topic) {
        this.consumer = new KafkaConsumer<>(clientConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        consumer.seekToBeginning(consumer.assignment());
        this.reader = Thread.ofPlatform().name("results-lookup").daemon().start(this::read);
    }

    private void read() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                consumer.poll(Duration.ofMillis(50)).forEach(r -> {
                    try {
                        TaskResult change = codec.decodeResult(r.value());
                        tasks.merge(change.taskId(), change, TaskResult::merge);
                    } catch (MalformedTaskException e) {
                        // not a result
                    }
                });
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    @Override
    public CompletionStage<Optional<TaskResult>> find(String taskId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(tasks.get(taskId)));
    }

    boolean knows(String taskId) {
        return tasks.containsKey(taskId);
    }

    @Override
    public void close() {
        consumer.wakeup();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
