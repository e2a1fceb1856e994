package io.conveyor.app;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Task lives with a known outcome, written to the results topic as workers would write them:
 * {@code QUEUED}, {@code RUNNING}, and then by the task's number a success, a retry followed by a
 * success, a dead letter ({@code FAILED}) or a cancellation. Times are those of the writing, as
 * when workers write results as they happen: a call to {@link #write} submits its tasks a
 * millisecond apart from the moment it is called (so windows are not closed before their results
 * arrive, and views are within the status retention).
 */
final class TaskLives {
    private static final TaskCodec CODEC = new TaskCodec();

    private final String prefix;
    private final Map<String, TaskStatus> finals = new LinkedHashMap<>();
    private long retries;

    TaskLives(String prefix) {
        this.prefix = prefix;
    }

    /** The final status of task number {@code i}. */
    static TaskStatus outcome(int i) {
        return switch (i % 10) {
            case 7 -> TaskStatus.FAILED;
            case 9 -> TaskStatus.CANCELLED;
            default -> TaskStatus.SUCCEEDED;
        };
    }

    String id(int i) {
        return prefix + "-" + i;
    }

    /** The changes of task number {@code i}, in the order a worker writes them. */
    List<TaskResult> life(int i, Instant submitted) {
        String id = id(i);
        String type = i % 2 == 0 ? "echo" : "resize";
        Instant started = submitted.plusMillis(5);
        Instant finished = started.plusMillis(20);
        List<TaskResult> changes = new ArrayList<>();
        changes.add(new TaskResult(id, type, TaskStatus.QUEUED, 0, null, submitted, null, null, submitted, null, null));
        changes.add(
                new TaskResult(id, type, TaskStatus.RUNNING, 1, "w1", submitted, started, null, started, null, null));
        TaskStatus outcome = outcome(i);
        int attempt = 1;
        if (i % 10 == 3) { // a retry, then a success on the second attempt
            TaskError flaky = new TaskError("java.io.IOException", "reset");
            changes.add(new TaskResult(
                    id, type, TaskStatus.RETRYING, 1, "w1", submitted, started, finished, finished, null, flaky));
            attempt = 2;
            started = finished.plusMillis(10);
            finished = started.plusMillis(20);
            changes.add(new TaskResult(
                    id, type, TaskStatus.RUNNING, 2, "w2", submitted, started, null, started, null, null));
        }
        TaskError error = outcome == TaskStatus.SUCCEEDED ? null : new TaskError("boom", outcome.name());
        changes.add(new TaskResult(
                id, type, outcome, attempt, "w" + attempt, submitted, started, finished, finished, null, error));
        return changes;
    }

    /** Writes the lives of tasks {@code from} (inclusive) to {@code to} (exclusive), unflushed. */
    void write(KafkaProducer<byte[], byte[]> producer, Topics topics, int from, int to) {
        Instant start = Instant.now();
        for (int i = from; i < to; i++) {
            for (TaskResult change : life(i, start.plusMillis(i - from))) {
                producer.send(new ProducerRecord<>(
                        topics.results(), change.taskId().getBytes(StandardCharsets.UTF_8), CODEC.encode(change)));
            }
            finals.put(id(i), outcome(i));
            retries += i % 10 == 3 ? 1 : 0;
        }
    }

    /** Every task written so far and its final status. */
    Map<String, TaskStatus> finals() {
        return finals;
    }

    /** How many failed attempts that were retried ({@code RETRYING} results) were written so far. */
    long retries() {
        return retries;
    }

    /** How many tasks written so far ended in each terminal status. */
    Map<TaskStatus, Long> counts() {
        Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
        finals.values().forEach(s -> counts.merge(s, 1L, Long::sum));
        return counts;
    }
}
