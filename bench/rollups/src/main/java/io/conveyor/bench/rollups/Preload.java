package io.conveyor.bench.rollups;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes realistic results to {@code <prefix>.results}, keyed by task id, as the API and workers
 * write them: per task {@code QUEUED}, {@code RUNNING} and a terminal status (90% succeed at once,
 * 5% fail once and succeed on the retry, 3% are dead-lettered, 2% cancelled), four task types,
 * queue waits of 1–50 ms and run times of 1–200 ms, tasks submitted at 50,000 per second ending
 * now; the record timestamp is the change's time. The records go out in the order of their times,
 * as the topic of a running pipeline holds them: other tasks' changes come between a task's own,
 * so its changes need not all land in one commit of the rollups (written task by task, they did,
 * which spared the status table most of its store reads and writes). Runs in the orchestrator. One
 * thread.
 */
final class Preload implements AutoCloseable {
    private static final String[] TYPES = {"echo", "resize", "email", "report"};

    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final TaskCodec codec = new TaskCodec();
    private final int partitions;

    Preload(String bootstrap, int partitions) {
        this.partitions = partitions;
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "client.id", "bench-preload-admin"));
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class));
    }

    Topics topics(String prefix) {
        return new Topics(prefix, partitions, Optional.empty());
    }

    /** Creates the prefix's topics and writes {@code tasks} task lives; returns the records written. */
    long load(String prefix, long tasks) {
        Topics topics = topics(prefix);
        new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(topics.all());
        SplittableRandom random = new SplittableRandom(42);
        Instant start = Instant.now().minusMillis(tasks / 50);
        // the changes not yet written, earliest first; a task's changes all come at or after its
        // submission, so those before the next submission are due (about 1.5 s of tasks held)
        PriorityQueue<TaskResult> pending = new PriorityQueue<>(Comparator.comparing(TaskResult::updatedAt));
        long records = 0;
        for (long i = 0; i < tasks; i++) {
            Instant submitted = start.plusNanos(i * 20_000);
            while (!pending.isEmpty() && pending.peek().updatedAt().isBefore(submitted)) {
                send(topics, pending.poll());
                records++;
            }
            pending.addAll(life(prefix + "-" + i, submitted, random));
        }
        while (!pending.isEmpty()) {
            send(topics, pending.poll());
            records++;
        }
        producer.flush();
        return records;
    }

    private void send(Topics topics, TaskResult change) {
        producer.send(new ProducerRecord<>(
                topics.results(),
                null,
                change.updatedAt().toEpochMilli(),
                change.taskId().getBytes(StandardCharsets.UTF_8),
                codec.encode(change)));
    }

    private static List<TaskResult> life(String id, Instant submitted, SplittableRandom random) {
        String type = TYPES[random.nextInt(TYPES.length)];
        int roll = random.nextInt(100);
        List<TaskResult> changes = new ArrayList<>(5);
        changes.add(new TaskResult(id, type, TaskStatus.QUEUED, 0, null, submitted, null, null, submitted, null, null));
        Instant started = submitted.plusMillis(1 + random.nextInt(50));
        Instant finished = started.plusMillis(1 + random.nextInt(200));
        int attempt = 1;
        changes.add(
                new TaskResult(id, type, TaskStatus.RUNNING, 1, "w1", submitted, started, null, started, null, null));
        if (roll >= 90 && roll < 95) {
            changes.add(new TaskResult(
                    id,
                    type,
                    TaskStatus.RETRYING,
                    1,
                    "w1",
                    submitted,
                    started,
                    finished,
                    finished,
                    null,
                    new TaskError("java.io.IOException", "connection reset")));
            attempt = 2;
            started = finished.plusMillis(1_000);
            finished = started.plusMillis(1 + random.nextInt(200));
            changes.add(new TaskResult(
                    id, type, TaskStatus.RUNNING, 2, "w2", submitted, started, null, started, null, null));
        }
        TaskStatus outcome = roll >= 97 ? TaskStatus.CANCELLED : roll >= 95 ? TaskStatus.FAILED : TaskStatus.SUCCEEDED;
        TaskError error = outcome == TaskStatus.SUCCEEDED ? null : new TaskError("boom", "gave up");
        changes.add(new TaskResult(
                id, type, outcome, attempt, "w" + attempt, submitted, started, finished, finished, null, error));
        return changes;
    }

    void delete(String prefix) {
        try {
            admin.deleteTopics(topics(prefix).all().stream().map(t -> t.name()).toList())
                    .all()
                    .get();
        } catch (Exception e) {
            System.err.println("could not delete the topics of " + prefix + ": " + e);
        }
    }

    @Override
    public void close() {
        producer.close();
        admin.close();
    }
}
