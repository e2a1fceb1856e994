package io.conveyor.rollups.internal;

import java.util.Map;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A state store that holds nothing and runs its processor's listener when Kafka Streams is about to
 * commit the task, inside the commit: the processor writes the state it keeps in memory (the open
 * windows, the status views that changed) to its logged store then, so the store's changelog and the input offsets move in the
 * same transaction, however the commit was triggered (the interval, a rebalance, a shutdown).
 *
 * <p>Why this shape: a commit first flushes the store caches ({@link CachedStateStore#flushCache}),
 * then the record collector, then sends the offsets and commits the transaction. {@link
 * StateStore#flush} and {@code CommitCallback} run only after the transaction has committed, and
 * Kafka Streams has no public hook before it; so this store implements the internal {@link
 * CachedStateStore}. The stores the listener writes to must have no cache (their writes then go to
 * the changelog at once, whatever order the stores flush in). {@code WindowsIT} and the rollup
 * crash test check the outcome against exact counts.
 *
 * <p>Threads: used by the one stream thread that owns its task.
 */
public final class CommitHook implements StateStore, CachedStateStore<Object, Object> {
    private final String name;
    private boolean open;
    private Runnable listener = () -> {};

    private CommitHook(String name) {
        this.name = name;
    }

    /**
     * Runs {@code beforeCommit} at every commit of the task. One processor per hook: a later call
     * replaces the listener (as a processor's {@code init} does again when its task is revived).
     */
    public void onCommit(Runnable beforeCommit) {
        this.listener = beforeCommit;
    }

    @Override
    public void flushCache() {
        listener.run();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Object, Object> cacheFlushListener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void clearCache() {}

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {});
        open = true;
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds one hook per task; it has no changelog and no cache. */
    public static StoreBuilder<CommitHook> builder(String name) {
        return new StoreBuilder<>() {
            @Override
            public StoreBuilder<CommitHook> withCachingEnabled() {
                throw new UnsupportedOperationException("a commit hook has no cache");
            }

            @Override
            public StoreBuilder<CommitHook> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<CommitHook> withLoggingEnabled(Map<String, String> config) {
                throw new UnsupportedOperationException("a commit hook has no changelog");
            }

            @Override
            public StoreBuilder<CommitHook> withLoggingDisabled() {
                return this;
            }

            @Override
            public CommitHook build() {
                return new CommitHook(name);
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return false;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
