package io.conveyor.consumers;

import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the worker tests share: one broker per class, and per test fresh topics, a group, a plain
 * producer writing tasks as any client would, and a probe reading the results topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
abstract class WorkerFixture {
    static final Duration WAIT = Duration.ofSeconds(30);

    final KafkaBroker broker;
    final TaskCodec codec = new TaskCodec();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    ConveyorConfig config;
    Topics topics;
    KafkaProducer<byte[], byte[]> producer;
    ResultsProbe results;

    WorkerFixture(KafkaBroker broker) {
        this.broker = broker;
    }

    @BeforeEach
    void topicsAndClients() {
        config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("w"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 4)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("g"))
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MS, 50)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS, 200)
                .build();
        topics = config.topics();
        TestClients.provision(broker.bootstrapServers(), topics);
        producer = track(TestClients.producer(broker.bootstrapServers()));
        results = track(new ResultsProbe(broker.bootstrapServers(), topics.results()));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    static int maxOverlap(List<TaskResult> runs) {
        int max = 0;
        for (TaskResult r : runs) {
            Instant at = r.startedAt();
            int overlapping = (int) runs.stream()
                    .filter(o -> !o.startedAt().isAfter(at) && o.finishedAt().isAfter(at))
                    .count();
            max = Math.max(max, overlapping);
        }
        return max;
    }

    void cancel(String taskId) throws Exception {
        producer.send(new ProducerRecord<>(topics.control(), bytes(taskId), codec.encodeCancellation()))
                .get();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    Worker startWorker(ConveyorConfig c) {
        return track(Worker.start(c, HandlerRegistry.discover(), new SimpleMeterRegistry()));
    }

    <T extends AutoCloseable> T track(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    RecordMetadata sendTask(Task task) throws Exception {
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topics.tasks(task.priority()), key, codec.encode(task)))
                .get();
    }

    RecordMetadata send(String topic, String key, String value) throws Exception {
        byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topic, k, value.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    ConsumerRecord<byte[], byte[]> onlyRecordOf(String topic) {
        try (ResultsProbe probe = new ResultsProbe(broker.bootstrapServers(), topic)) {
            return await().atMost(WAIT)
                    .until(() -> probe.poll().records(), r -> r.size() == 1)
                    .get(0);
        }
    }

    static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return RecordHeaders.get(record.headers(), name);
    }

    static com.fasterxml.jackson.databind.JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }
}
