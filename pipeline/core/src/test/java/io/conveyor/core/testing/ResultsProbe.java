package io.conveyor.core.testing;

import static org.awaitility.Awaitility.await;

import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic of results (or any topic) from the beginning, for tests: every change seen so
 * far, per task. Used from the test thread only.
 */
public final class ResultsProbe implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TaskCodec codec = new TaskCodec();
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private final Map<String, List<TaskResult>> byTask = new LinkedHashMap<>();

    public ResultsProbe(String bootstrapServers, String topic) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        this.consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Reads what has arrived since the last call. */
    public ResultsProbe poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            records.add(r);
            try {
                TaskResult result = codec.decodeResult(r.value());
                byTask.computeIfAbsent(result.taskId(), k -> new ArrayList<>()).add(result);
            } catch (MalformedTaskException e) {
                // not a result (the probe also reads other topics); kept as a raw record
            }
        }
        return this;
    }

    /** Every record read so far, raw. */
    public List<ConsumerRecord<byte[], byte[]>> records() {
        return List.copyOf(records);
    }

    /** The changes of one task, in arrival order. */
    public List<TaskResult> changes(String taskId) {
        return List.copyOf(byTask.getOrDefault(taskId, List.of()));
    }

    /** The statuses of one task, in arrival order. */
    public List<TaskStatus> statuses(String taskId) {
        return changes(taskId).stream().map(TaskResult::status).toList();
    }

    /** The terminal change of each task that has one. */
    public Map<String, List<TaskResult>> terminals() {
        return byTask.entrySet().stream()
                .collect(Collectors.toMap(
                        Map.Entry::getKey,
                        e -> e.getValue().stream()
                                .filter(r -> r.status().isTerminal())
                                .toList()));
    }

    /** Waits until the task has a terminal change and returns it. */
    public TaskResult awaitTerminal(String taskId, Duration atMost) {
        Optional<TaskResult> seen = terminal(taskId);
        if (seen.isPresent()) {
            return seen.get();
        }
        return await().atMost(atMost)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(10))
                .until(() -> poll().terminal(taskId), Optional::isPresent)
                .orElseThrow(() -> new UncheckedIOException(new java.io.IOException("unreachable")));
    }

    private Optional<TaskResult> terminal(String taskId) {
        return changes(taskId).stream().filter(r -> r.status().isTerminal()).findFirst();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
