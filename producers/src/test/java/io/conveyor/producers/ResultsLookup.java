package io.conveyor.producers;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.core.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A stand-in for the rollups' status table in API tests: a thread ({@code results-lookup}) reads
 * the one-partition task topics, as the rollups' {@code ArrivalTopology} does (each task is its
 * {@code QUEUED} change), and the results topic, and merges each task's changes; {@link #find}
 * answers from memory and never blocks.
 */
final class ResultsLookup implements TaskStatusLookup, AutoCloseable {
    private final Map<String, TaskResult> tasks = new ConcurrentHashMap<>();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread reader;
    private final TaskCodec codec = new TaskCodec();
    private final Topics topics;

    ResultsLookup(Map<String, Object> clientConfig, Topics topics) {
        this.topics = topics;
        this.consumer = new KafkaConsumer<>(clientConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        partitions.add(new TopicPartition(topics.results(), 0));
        topics.taskTopics().forEach(t -> partitions.add(new TopicPartition(t, 0)));
        consumer.assign(partitions);
        consumer.seekToBeginning(consumer.assignment());
        this.reader = Thread.ofPlatform().name("results-lookup").daemon().start(this::read);
    }

    private void read() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                consumer.poll(Duration.ofMillis(50)).forEach(r -> {
                    try {
                        TaskResult change = r.topic().equals(topics.results())
                                ? codec.decodeResult(r.value())
                                : TaskResult.queued(codec.decode(r.value(), origin(r)));
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

    private RecordOrigin origin(ConsumerRecord<byte[], byte[]> r) {
        return new RecordOrigin(
                r.topic(),
                r.partition(),
                r.offset(),
                Instant.ofEpochMilli(r.timestamp()),
                topics.priorityOf(r.topic()).orElseThrow());
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
