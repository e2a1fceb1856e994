package io.conveyor.bench.worker;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import io.confluent.parallelconsumer.PollContext;
import io.conveyor.consumers.TaskHandler;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Confluent Parallel Consumer as the system under test: UNORDERED, {@code maxConcurrency} equal to
 * the worker's concurrency, default (periodic asynchronous) commits. Its pool threads decode the
 * envelope, send RUNNING, run the same handler, send SUCCEEDED and wait for both acks before
 * returning, so (as in Conveyor) an offset is committed only once its results are durable.
 */
final class ParallelConsumerSubject implements Subject {
    private final ParallelStreamProcessor<byte[], byte[]> processor;
    private final ResultWriter results;

    private ParallelConsumerSubject(ParallelStreamProcessor<byte[], byte[]> processor, ResultWriter results) {
        this.processor = processor;
        this.results = results;
    }

    static ParallelConsumerSubject start(Target target) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                HandWrittenLoop.consumerProperties(target.bootstrap(), target.group(), "parallel-consumer"));
        ParallelConsumerOptions<byte[], byte[]> options = ParallelConsumerOptions.<byte[], byte[]>builder()
                .consumer(consumer)
                .ordering(ProcessingOrder.UNORDERED)
                .maxConcurrency(target.concurrency())
                .build();
        ParallelStreamProcessor<byte[], byte[]> processor = ParallelStreamProcessor.createEosStreamProcessor(options);
        ResultWriter results = new ResultWriter(
                target.bootstrap(), target.topics().results(), "parallel-consumer-results", "parallel-consumer");
        TaskHandler handler = target.workload().handler();
        TaskCodec codec = new TaskCodec();
        processor.subscribe(List.of(target.topics().tasks(Priority.NORMAL)));
        processor.poll(context -> run(context, codec, handler, results));
        return new ParallelConsumerSubject(processor, results);
    }

    private static void run(
            PollContext<byte[], byte[]> context, TaskCodec codec, TaskHandler handler, ResultWriter results) {
        ConsumerRecord<byte[], byte[]> record = context.getSingleConsumerRecord();
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
            CompletableFuture<Void> running = results.running(task, started);
            var result = handler.handle(new BenchContext(task, "parallel-consumer"));
            CompletableFuture.allOf(running, results.succeeded(task, started, Instant.now(), result))
                    .join();
        } catch (MalformedTaskException e) {
            throw new IllegalStateException("the benchmark only writes valid tasks", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("the benchmark handlers do not fail", e);
        }
    }

    @Override
    public void close() {
        processor.closeDontDrainFirst(Duration.ofSeconds(10));
        results.close();
    }
}
