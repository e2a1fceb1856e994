package io.conveyor.bench.worker;

import io.conveyor.consumers.TaskHandler;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ceiling: the least code that does the same Kafka work as a worker. One thread ({@code
 * baseline-poll}) owns the consumer: it polls, decodes each envelope with {@link TaskCodec}, runs
 * the handler inline, sends the two results, and commits a poll's offsets once every result of
 * that poll and of the polls before it is acknowledged (pipelined: it never waits for acks).
 * Callbacks on the producer's I/O thread only count down; {@link #close()} may be called from any
 * thread.
 */
final class HandWrittenLoop implements Subject, Runnable {
    private static final Logger log = LoggerFactory.getLogger(HandWrittenLoop.class);

    /** The results of one poll: committable once {@code unacked} reaches zero. */
    private record Batch(Map<TopicPartition, OffsetAndMetadata> offsets, AtomicInteger unacked) {}

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ResultWriter results;
    private final TaskCodec codec = new TaskCodec();
    private final TaskHandler handler;
    private final String topic;
    private final Thread thread;
    private volatile boolean running = true;

    private HandWrittenLoop(Target target) {
        this.consumer = new KafkaConsumer<>(consumerProperties(target.bootstrap(), target.group(), "baseline"));
        this.results = new ResultWriter(target.bootstrap(), target.topics().results(), "baseline-results", "baseline");
        this.handler = target.workload().handler();
        this.topic = target.topics().tasks(Priority.NORMAL);
        this.thread = new Thread(this, "baseline-poll");
    }

    static HandWrittenLoop start(Target target) {
        HandWrittenLoop loop = new HandWrittenLoop(target);
        loop.thread.start();
        return loop;
    }

    /** The consumer settings every subject shares (the worker's, see WorkerRuntime). */
    static Map<String, Object> consumerProperties(String bootstrap, String group, String clientId) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }

    @Override
    public void run() {
        ArrayDeque<Batch> pending = new ArrayDeque<>();
        consumer.subscribe(List.of(topic));
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    pending.add(process(records));
                }
                commitAcknowledged(pending);
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private Batch process(ConsumerRecords<byte[], byte[]> records) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        AtomicInteger unacked = new AtomicInteger(2 * records.count());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            offsets.put(
                    new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
            try {
                Task task = codec.decode(
                        record.value(),
                        new RecordOrigin(
                                record.topic(),
                                record.partition(),
                                record.offset(),
                                Instant.ofEpochMilli(record.timestamp()),
                                Priority.NORMAL));
                Instant started = Instant.now();
                results.running(task, started).whenComplete((v, e) -> acked(unacked, e));
                var result = handler.handle(new BenchContext(task, "baseline"));
                results.succeeded(task, started, Instant.now(), result).whenComplete((v, e) -> acked(unacked, e));
            } catch (MalformedTaskException e) {
                throw new IllegalStateException("the benchmark only writes valid tasks", e);
            } catch (Exception e) {
                throw new IllegalStateException("the benchmark handlers do not fail", e);
            }
        }
        return new Batch(offsets, unacked);
    }

    private static void acked(AtomicInteger unacked, Throwable error) {
        if (error != null) {
            log.error("Result write failed; this batch is never committed", error);
            return;
        }
        unacked.decrementAndGet();
    }

    private void commitAcknowledged(ArrayDeque<Batch> pending) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        while (!pending.isEmpty() && pending.peek().unacked().get() == 0) {
            offsets.putAll(pending.poll().offsets());
        }
        if (!offsets.isEmpty()) {
            consumer.commitAsync(offsets, null);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        results.close();
    }
}
