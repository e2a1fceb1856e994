package io.conveyor.producers.bench;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.core.TaskCodec;
import io.conveyor.producers.internal.KafkaSubmitter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** (d): one thread sends the envelope of the benchmark task as fast as acks come back. */
final class RawProducer {
    private RawProducer() {}

    /** Acknowledged records per second over {@code seconds}. */
    static double run(ConveyorConfig config, String task, int seconds) throws Exception {
        Map<String, Object> props = KafkaSubmitter.producerSettings(config);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-raw");
        TaskCodec codec = new TaskCodec();
        byte[] envelope = codec.encode(codec.readSubmission(Json.parse(task.getBytes(StandardCharsets.UTF_8))));
        String topic = config.topics().tasks(Priority.NORMAL);
        Semaphore window = new Semaphore(10_000);
        AtomicLong acked = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            while (System.nanoTime() < end) {
                window.acquire();
                producer.send(new ProducerRecord<>(topic, envelope), (md, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                    }
                    window.release();
                });
            }
            long count = acked.get();
            return count / ((System.nanoTime() - start) / 1e9);
        }
    }
}
