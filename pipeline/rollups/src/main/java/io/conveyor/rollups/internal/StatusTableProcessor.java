package io.conveyor.rollups.internal;

import io.conveyor.core.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each change into its task's view ({@link TaskResult#merge}) in the status store, and
 * removes views whose latest change ({@code updatedAt}) is older than the retention: on arrival (a
 * late change of a long-forgotten task is not stored again) and by a wall-clock sweep every {@link
 * #sweepInterval}. A removal is a delete in the store, so its changelog (compacted) carries a
 * tombstone and a restore does not bring the view back.
 *
 * <p>Threads: one instance per task (partition), used only by the stream thread that owns the task;
 * the sweep runs on that thread too, between records.
 */
public final class StatusTableProcessor implements Processor<String, TaskResult, Void, Void> {
    private static final Logger log = LoggerFactory.getLogger(StatusTableProcessor.class);

    private final String storeName;
    private final long retentionMs;
    private ProcessorContext<Void, Void> context;
    private TimestampedKeyValueStore<String, TaskResult> store;

    public StatusTableProcessor(String storeName, Duration retention) {
        this.storeName = storeName;
        this.retentionMs = retention.toMillis();
    }

    /** How often the sweep runs: a tenth of the retention, between 1 s and 1 h. */
    public static Duration sweepInterval(Duration retention) {
        Duration tenth = retention.dividedBy(10);
        if (tenth.compareTo(Duration.ofSeconds(1)) < 0) {
            return Duration.ofSeconds(1);
        }
        return tenth.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tenth;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        context.schedule(sweepInterval(Duration.ofMillis(retentionMs)), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, TaskResult> record) {
        String id = record.key();
        TaskResult change = record.value();
        if (id == null || change == null) {
            return; // unreadable (logged by the serde) or unkeyed
        }
        ValueAndTimestamp<TaskResult> stored = store.get(id);
        TaskResult merged = TaskResult.merge(stored == null ? null : stored.value(), change);
        if (expired(merged, context.currentSystemTimeMs())) {
            if (stored != null) {
                store.delete(id);
            }
            return;
        }
        store.put(id, ValueAndTimestamp.make(merged, record.timestamp()));
    }

    private boolean expired(TaskResult view, long nowMs) {
        return view.updatedAt().toEpochMilli() < nowMs - retentionMs;
    }

    /** Removes every view whose latest change is older than the retention. */
    void sweep(long nowMs) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, ValueAndTimestamp<TaskResult>> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, ValueAndTimestamp<TaskResult>> entry = all.next();
                if (entry.value == null || expired(entry.value.value(), nowMs)) {
                    expired.add(entry.key);
                }
            }
        }
        expired.forEach(store::delete);
        if (!expired.isEmpty()) {
            log.info(
                    "Removed {} task views older than the retention of {} ms from {}",
                    expired.size(),
                    retentionMs,
                    storeName);
        }
    }
}
