package io.conveyor.bench.worker;

import io.conveyor.core.Priority;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Creates a prefix's topics and writes N task envelopes (each with its own id) round-robin over
 * the partitions of {@code <prefix>.tasks.normal}, before any subject starts; deletes them after.
 * Runs in the orchestrator, so its CPU is never charged to a subject (also the rollup benchmark's,
 * for its worker row). One thread.
 */
public final class Preloader implements AutoCloseable {
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final TaskCodec codec = new TaskCodec();
    private final int partitions;

    public Preloader(String bootstrap, int partitions) {
        this.partitions = partitions;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        Map<String, Object> props = ResultWriter.properties(bootstrap, "bench-preload");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        this.producer = new KafkaProducer<>(props);
    }

    Topics topics(String prefix) {
        return new Topics(prefix, partitions, Optional.empty());
    }

    public void load(String prefix, Workload workload, long tasks) {
        Topics topics = topics(prefix);
        new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(topics.all());
        String topic = topics.tasks(Priority.NORMAL);
        for (long i = 0; i < tasks; i++) {
            Task task =
                    Task.builder(workload.type()).payload(workload.payload()).build();
            producer.send(new ProducerRecord<>(topic, (int) (i % partitions), null, codec.encode(task)));
        }
        producer.flush();
    }

    public void delete(String prefix) {
        try {
            admin.deleteTopics(topics(prefix).all().stream()
                            .map(io.conveyor.core.TopicSpec::name)
                            .toList())
                    .all()
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            System.err.println("could not delete the topics of " + prefix + ": " + e.getCause());
        }
    }

    @Override
    public void close() {
        producer.close();
        admin.close();
    }
}
