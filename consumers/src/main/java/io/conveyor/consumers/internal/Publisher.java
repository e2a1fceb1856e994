package io.conveyor.consumers.internal;

import io.conveyor.core.RecordHeaders;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Writes what a worker produces: status changes to the results topic, attempts to the retry
 * topic, dead letters. Every method returns a future that completes when Kafka acknowledged the
 * write. Thread-safe (the KafkaProducer is).
 */
final class Publisher {
    private final Producer<byte[], byte[]> producer;
    private final TaskCodec codec;
    private final Topics topics;

    Publisher(Producer<byte[], byte[]> producer, TaskCodec codec, Topics topics) {
        this.producer = producer;
        this.codec = codec;
        this.topics = topics;
    }

    CompletableFuture<Void> result(TaskResult result) {
        return send(new ProducerRecord<>(topics.results(), utf8(result.taskId()), codec.encode(result)));
    }

    /** Queues {@code task} on the retry topic, not to run before {@code notBefore}. */
    CompletableFuture<Void> retry(Task task, Instant notBefore, ConsumerRecord<byte[], byte[]> origin) {
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(topics.retry(), null, origin.key(), codec.encode(task));
        RecordHeaders.put(record.headers(), RecordHeaders.NOT_BEFORE, notBeforeMillis(notBefore));
        copyOrigin(origin, record.headers());
        return send(record);
    }

    /**
     * {@code notBefore} in the header's epoch milliseconds, rounded up: truncated, a task due at
     * {@code .442907548} could start at {@code .442717}, before its {@code runAt}.
     */
    static long notBeforeMillis(Instant notBefore) {
        long millis = notBefore.toEpochMilli();
        return notBefore.getNano() % 1_000_000 == 0 ? millis : millis + 1;
    }

    /**
     * Dead-letters a record as it was read (raw bytes), with the reason in headers. A record too
     * large to go with the headers (one at Kafka's size limit) is dead-lettered without its value,
     * the message saying so, rather than not at all: its offset could never be committed.
     */
    CompletableFuture<Void> deadLetter(
            ConsumerRecord<byte[], byte[]> origin, String reason, String errorClass, String message, int attempts) {
        return send(deadLetterRecord(origin, origin.value(), reason, errorClass, message, attempts))
                .exceptionallyCompose(e -> {
                    Throwable cause = e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
                    if (!(cause instanceof RecordTooLargeException) || origin.value() == null) {
                        return CompletableFuture.failedFuture(cause);
                    }
                    String without = message + " (the record's " + origin.value().length
                            + " bytes are left out: with these headers they exceed the producer's or broker's limit;"
                            + " read them at the original topic, partition and offset)";
                    return send(deadLetterRecord(origin, null, reason, errorClass, without, attempts));
                });
    }

    private ProducerRecord<byte[], byte[]> deadLetterRecord(
            ConsumerRecord<byte[], byte[]> origin,
            byte[] value,
            String reason,
            String errorClass,
            String message,
            int attempts) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topics.deadLetters(), null, origin.key(), value);
        for (var h : origin.headers()) {
            record.headers().add(new RecordHeader(h.key(), h.value()));
        }
        Headers headers = record.headers();
        RecordHeaders.put(headers, RecordHeaders.REASON, reason);
        RecordHeaders.put(headers, RecordHeaders.ERROR_CLASS, errorClass);
        RecordHeaders.put(headers, RecordHeaders.ERROR_MESSAGE, message);
        RecordHeaders.put(headers, RecordHeaders.ATTEMPTS, attempts);
        copyOrigin(origin, headers);
        return record;
    }

    /**
     * Where the record was first read: kept from its headers when it comes from the retry topic
     * (written there by a worker), else this record's own place, whatever headers its writer gave.
     */
    private void copyOrigin(ConsumerRecord<byte[], byte[]> origin, Headers headers) {
        if (headers.lastHeader(RecordHeaders.ORIGINAL_TOPIC) == null
                || !origin.topic().equals(topics.retry())) {
            RecordHeaders.put(headers, RecordHeaders.ORIGINAL_TOPIC, origin.topic());
            RecordHeaders.put(headers, RecordHeaders.ORIGINAL_PARTITION, origin.partition());
            RecordHeaders.put(headers, RecordHeaders.ORIGINAL_OFFSET, origin.offset());
        }
    }

    private CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acked.complete(null);
                } else {
                    acked.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            acked.completeExceptionally(e);
        }
        return acked;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
