package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.RecordHeaders;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class PublisherTest {
    private final Topics topics = new Topics("conveyor", 1, java.util.Optional.empty());
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final Publisher publisher = new Publisher(producer, new TaskCodec(), topics);

    @Test
    void aDeadLetterSaysWhereItsRecordWasReadWhateverHeadersItsWriterGave() {
        ConsumerRecord<byte[], byte[]> forged = record(topics.tasks(io.conveyor.core.Priority.LOW), 42);
        forged.headers().add(new RecordHeader(RecordHeaders.ORIGINAL_TOPIC, utf8("somewhere.else")));
        forged.headers().add(new RecordHeader(RecordHeaders.ORIGINAL_OFFSET, new byte[] {(byte) 0xFF}));
        publisher.deadLetter(forged, "malformed", "x", "unreadable", 0);
        ProducerRecord<byte[], byte[]> sent = producer.history().getLast();
        assertThat(RecordHeaders.get(sent.headers(), RecordHeaders.ORIGINAL_TOPIC))
                .isEqualTo("conveyor.tasks.low");
        assertThat(RecordHeaders.get(sent.headers(), RecordHeaders.ORIGINAL_OFFSET))
                .isEqualTo("42");

        // a retry record carries where its task was first read, as a worker wrote it
        ConsumerRecord<byte[], byte[]> retry = record(topics.retry(), 7);
        retry.headers().add(new RecordHeader(RecordHeaders.ORIGINAL_TOPIC, utf8("conveyor.tasks.high")));
        publisher.deadLetter(retry, "exhausted", "x", "failed", 3);
        assertThat(RecordHeaders.get(producer.history().getLast().headers(), RecordHeaders.ORIGINAL_TOPIC))
                .isEqualTo("conveyor.tasks.high");
    }

    @Test
    void aRecordTooLargeToDeadLetterGoesWithoutItsValue() {
        ConsumerRecord<byte[], byte[]> huge = record(topics.tasks(io.conveyor.core.Priority.NORMAL), 9);
        CompletableFuture<Void> done = publisher.deadLetter(huge, "malformed", "x", "unreadable", 0);
        producer.errorNext(new RecordTooLargeException("too large"));
        producer.completeNext();

        assertThat(done).succeedsWithin(java.time.Duration.ofSeconds(5));
        ProducerRecord<byte[], byte[]> sent = producer.history().getLast();
        assertThat(sent.value()).isNull();
        assertThat(sent.key()).isEqualTo(huge.key());
        assertThat(RecordHeaders.get(sent.headers(), RecordHeaders.REASON)).isEqualTo("malformed");
        assertThat(RecordHeaders.get(sent.headers(), RecordHeaders.ERROR_MESSAGE))
                .startsWith("unreadable (the record's 6 bytes are left out");
        assertThat(RecordHeaders.get(sent.headers(), RecordHeaders.ORIGINAL_OFFSET))
                .isEqualTo("9");
    }

    @Test
    void otherFailuresOfADeadLetterFailIt() {
        CompletableFuture<Void> done = publisher.deadLetter(record(topics.retry(), 1), "malformed", "x", "y", 0);
        producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("no broker"));
        assertThat(done).failsWithin(java.time.Duration.ofSeconds(5));
        assertThat(producer.history()).hasSize(1);
    }

    private static ConsumerRecord<byte[], byte[]> record(String topic, long offset) {
        return new ConsumerRecord<>(topic, 0, offset, utf8("key"), utf8("value!"));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theNotBeforeHeaderNeverFallsBeforeTheDueTime() {
        Instant due = Instant.parse("2026-11-24T05:21:33.442907548Z");
        long millis = Publisher.notBeforeMillis(due);
        assertThat(Instant.ofEpochMilli(millis)).isAfterOrEqualTo(due);
        assertThat(millis).isEqualTo(due.toEpochMilli() + 1);
    }

    @Test
    void aWholeMillisecondIsKeptAsItIs() {
        Instant due = Instant.parse("2026-11-24T05:21:33.442Z");
        assertThat(Publisher.notBeforeMillis(due)).isEqualTo(due.toEpochMilli());
    }
}
