package io.conveyor.rollups.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status table between commits, which the topology tests cannot show (their driver commits
 * after every record): changes merge in memory and reach the store at the commit, once each.
 */
class StatusTableProcessorTest {
    private static final Duration RETENTION = Duration.ofDays(7);
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private final MockProcessorContext<String, TaskResult> context = new MockProcessorContext<>();
    private TimestampedKeyValueStore<String, TaskResult> store;
    private CommitHook hook;
    private StatusTableProcessor processor;

    @BeforeEach
    void init() {
        store = MockStores.attach(
                context,
                Stores.timestampedKeyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore("task-status"),
                                Serdes.String(),
                                StatusViewSerde.create(new TaskCodec()))
                        .withLoggingDisabled()
                        .build());
        hook = MockStores.attach(
                context, CommitHook.builder("task-status-commit").build());
        context.setCurrentSystemTimeMs(NOW.toEpochMilli());
        processor = new StatusTableProcessor("task-status", "task-status-commit", RETENTION);
        processor.init(context);
    }

    @Test
    void aTasksChangesWithinACommitMergeInMemoryAndReachTheStoreAtTheCommit() {
        process(change("t-1", TaskStatus.QUEUED, 0, null, NOW));
        process(change("t-1", TaskStatus.RUNNING, 1, NOW.plusMillis(5), NOW.plusMillis(5)));
        process(change("t-1", TaskStatus.SUCCEEDED, 1, NOW.plusMillis(5), NOW.plusMillis(9)));
        assertThat(store.get("t-1")).as("nothing is written before the commit").isNull();

        hook.flushCache(); // what Kafka Streams calls at the start of a commit

        TaskResult view = store.get("t-1").value();
        assertThat(view.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(view.attempt()).isEqualTo(1);
        assertThat(view.submittedAt()).isEqualTo(NOW);
        assertThat(view.startedAt()).isEqualTo(NOW.plusMillis(5));
        assertThat(store.get("t-1").timestamp()).isEqualTo(NOW.plusMillis(9).toEpochMilli());
    }

    @Test
    void aStoredViewPastTheRetentionIsDeletedAtTheCommitAndALaterChangeStartsAFreshOne() {
        Instant old = NOW.minus(RETENTION).minusSeconds(60);
        store.put("t-2", ValueAndTimestamp.make(change("t-2", TaskStatus.RUNNING, 3, old, old), old.toEpochMilli()));

        process(change("t-2", TaskStatus.FAILED, 3, old, old.plusSeconds(1))); // late, and still too old
        hook.flushCache();
        assertThat(store.get("t-2")).isNull();

        process(change("t-2", TaskStatus.RUNNING, 3, old, old.plusSeconds(2)));
        hook.flushCache();
        assertThat(store.get("t-2"))
                .as("a late change of a removed task is not stored again")
                .isNull();

        process(change("t-2", TaskStatus.QUEUED, 0, null, NOW)); // the id used again, now
        hook.flushCache();
        TaskResult fresh = store.get("t-2").value();
        assertThat(fresh.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(fresh.attempt()).as("not merged with the removed view").isZero();
    }

    @Test
    void aDeletePendingInMemoryIsReplacedByALaterChangeBeforeTheCommit() {
        Instant old = NOW.minus(RETENTION).minusSeconds(60);
        store.put("t-3", ValueAndTimestamp.make(change("t-3", TaskStatus.RUNNING, 2, old, old), old.toEpochMilli()));

        process(change("t-3", TaskStatus.FAILED, 2, old, old.plusSeconds(1))); // a delete, pending
        process(change("t-3", TaskStatus.QUEUED, 0, null, NOW)); // then a fresh view of the id
        hook.flushCache();

        TaskResult view = store.get("t-3").value();
        assertThat(view.status()).isEqualTo(TaskStatus.QUEUED);
        assertThat(view.attempt()).isZero();
    }

    @Test
    void forwardsWhatTheWindowsCountButNotASecondEnd() {
        process(change("t-5", TaskStatus.QUEUED, 0, null, NOW));
        process(change("t-5", TaskStatus.SUCCEEDED, 1, NOW, NOW.plusMillis(3)));
        hook.flushCache();
        process(change("t-5", TaskStatus.SUCCEEDED, 1, NOW, NOW.plusMillis(3))); // again, after a commit
        process(change("t-5", TaskStatus.FAILED, 2, NOW, NOW.plusMillis(9))); // a second run's end
        process(change("t-5", TaskStatus.RETRYING, 2, NOW, NOW.plusMillis(8))); // not an end: on it goes
        assertThat(context.forwarded())
                .extracting(f -> f.record().value().status())
                .containsExactly(TaskStatus.QUEUED, TaskStatus.SUCCEEDED, TaskStatus.RETRYING);
        assertThat(store.get("t-5").value().status()).isEqualTo(TaskStatus.SUCCEEDED);
    }

    @Test
    void theSweepWritesWhatIsPendingFirst() {
        process(change("t-4", TaskStatus.RUNNING, 1, NOW, NOW));
        processor.sweep(NOW.toEpochMilli());
        assertThat(store.get("t-4").value().status()).isEqualTo(TaskStatus.RUNNING);
    }

    @Test
    void manyChangedViewsAreWrittenBeforeTheCommitSoMemoryStaysBounded() {
        for (int i = 0; i < StatusTableProcessor.WRITE_AT; i++) {
            process(change("t-many-" + i, TaskStatus.QUEUED, 0, null, NOW));
        }
        assertThat(store.approximateNumEntries()).isEqualTo(StatusTableProcessor.WRITE_AT);
        process(change("t-one-more", TaskStatus.QUEUED, 0, null, NOW));
        assertThat(store.get("t-one-more")).isNull();
        hook.flushCache();
        assertThat(store.get("t-one-more")).isNotNull();
    }

    private void process(TaskResult change) {
        processor.process(
                new Record<>(change.taskId(), change, change.updatedAt().toEpochMilli()));
    }

    private static TaskResult change(String id, TaskStatus status, int attempt, Instant started, Instant at) {
        return new TaskResult(
                id,
                "echo",
                status,
                attempt,
                attempt > 0 ? "w-1" : null,
                at.isBefore(NOW) ? at : NOW,
                started,
                status.isTerminal() ? at : null,
                at,
                null,
                null);
    }
}
