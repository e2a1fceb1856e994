package io.conveyor.rollups.internal;

import io.conveyor.core.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Folds each change into its task's view ({@link TaskResult#merge}) and keeps the views in the
 * status store, removing those whose latest change ({@code updatedAt}) is older than the retention:
 * on arrival (a late change of a long-forgotten task is not stored again) and by a wall-clock sweep
 * every {@link #sweepInterval}. A removal is a delete in the store, so its changelog (compacted)
 * carries a tombstone and a restore does not bring the view back.
 *
 * <p>Between commits the views that changed stay in memory, merged there, and go to the store (no
 * cache) once each at every commit of the task, through a {@link CommitHook}, in the commit's
 * transaction; and earlier, inside the same transaction, whenever {@value #WRITE_AT} have piled up,
 * so memory stays bounded whatever the commit interval. A task's results mostly arrive within one
 * commit interval, so a view is serialized, written to RocksDB and sent to the changelog once
 * instead of once per result, and no store cache sorts and copies every change. Lookups read the
 * store, so they see a change once the commit after it starts: about one commit interval ({@code
 * commit.interval.ms}, 100 ms by default) after the change was read.
 *
 * <p>It forwards the results the windows count: all of them but a second end of a task (a terminal
 * status when the view already has one), which the table ignores too ({@link TaskResult#merge}:
 * the first terminal status sticks).
 *
 * <p>Threads: one instance per task (partition), used only by the stream thread that owns the task;
 * the sweep and the commit hook run on that thread too, between records.
 */
public final class StatusTableProcessor implements Processor<String, TaskResult, String, TaskResult> {
    private static final Logger log = LoggerFactory.getLogger(StatusTableProcessor.class);

    private final String storeName;
    private final String hookName;
    private final long retentionMs;
    private final SkippedRecords skipped;
    /** How many changed views are written before the commit comes (memory stays bounded). */
    static final int WRITE_AT = 10_000;

    /** Views changed since the last commit, by task id. */
    private final Map<String, Change> pending = new HashMap<>();

    private ProcessorContext<String, TaskResult> context;
    private TimestampedKeyValueStore<String, TaskResult> store;

    /** A view to write at the next commit, with its record's timestamp; a null view is a delete (no timestamp). */
    private record Change(TaskResult view, long timestamp) {}

    public StatusTableProcessor(String storeName, String hookName, Duration retention) {
        this(storeName, hookName, retention, SkippedRecords.uncounted());
    }

    /** {@code skipped} counts the results without a task id (the serde counts the unreadable ones). */
    public StatusTableProcessor(String storeName, String hookName, Duration retention, SkippedRecords skipped) {
        this.storeName = storeName;
        this.hookName = hookName;
        this.retentionMs = retention.toMillis();
        this.skipped = skipped;
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
    public void init(ProcessorContext<String, TaskResult> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        pending.clear();
        CommitHook hook = context.getStateStore(hookName);
        hook.onCommit(this::persist);
        context.schedule(sweepInterval(Duration.ofMillis(retentionMs)), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, TaskResult> record) {
        String id = record.key();
        TaskResult change = record.value();
        if (change == null) {
            return; // unreadable or a tombstone, counted by the serde
        }
        if (id == null) {
            skipped.skipped(SkippedRecords.RESULTS, SkippedRecords.NO_KEY, where(), "a result without a task id");
            return;
        }
        Change changed = pending.get(id);
        TaskResult current;
        if (changed != null) {
            current = changed.view();
        } else {
            ValueAndTimestamp<TaskResult> stored = store.get(id);
            current = stored == null ? null : stored.value();
        }
        // on to the windows, unless the task had ended already: a task run twice (a worker that
        // crashed after its handler ended, say) counts once, with the end the table keeps
        if (!(change.status().isTerminal()
                && current != null
                && current.status().isTerminal())) {
            context.forward(record);
        }
        TaskResult merged = TaskResult.merge(current, change);
        if (expired(merged, context.currentSystemTimeMs())) {
            if (current != null) {
                pending.put(id, new Change(null, record.timestamp()));
            }
            return;
        }
        pending.put(id, new Change(merged, record.timestamp()));
        if (pending.size() >= WRITE_AT) {
            persist();
        }
    }

    /** Where the record being processed was read, for a log line: topic-partition@offset. */
    private String where() {
        return context.recordMetadata()
                .map(m -> m.topic() + "-" + m.partition() + "@" + m.offset())
                .orElse("the results topic");
    }

    /** Writes the views changed since the last commit to the store. */
    private void persist() {
        if (pending.isEmpty()) {
            return;
        }
        // one RocksDB write batch for the views; deletes (rare: views past the retention) one by one
        List<KeyValue<String, ValueAndTimestamp<TaskResult>>> puts = new ArrayList<>(pending.size());
        pending.forEach((id, change) -> {
            if (change.view() == null) {
                store.delete(id);
            } else {
                puts.add(KeyValue.pair(id, ValueAndTimestamp.make(change.view(), change.timestamp())));
            }
        });
        store.putAll(puts);
        pending.clear();
    }

    private boolean expired(TaskResult view, long nowMs) {
        return view.updatedAt().toEpochMilli() < nowMs - retentionMs;
    }

    /** Removes every view whose latest change is older than the retention. */
    void sweep(long nowMs) {
        persist();
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
