package io.conveyor.core.testing;

import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The Kafka plumbing tests share: creating a catalogue's topics, writing tasks as any client would. */
public final class TestClients {
    private static final TaskCodec CODEC = new TaskCodec();

    private TestClients() {}

    /** Creates every topic of the catalogue and waits until they can be written. */
    public static void provision(String bootstrapServers, Topics topics) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            new TopicProvisioner(admin, Duration.ofSeconds(10)).ensure(topics.all());
        }
    }

    /** A plain byte-array producer with default settings, as a non-Conveyor client would use. */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    /** Writes a task to its priority topic, keyed by its key; the future completes on the ack. */
    public static Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer, Topics topics, Task task) {
        byte[] key = task.key() == null ? null : task.key().getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topics.tasks(task.priority()), key, CODEC.encode(task)));
    }
}
