package io.conveyor.consumers.internal;

import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Which offsets of one partition are taken but not yet finished, and so how far the group may
 * commit: up to the lowest unfinished offset, never past it, however the others finish.
 *
 * <p>Owned by the poll thread: not thread-safe.
 */
final class OffsetTracker {
    private final TreeSet<Long> pending = new TreeSet<>();
    private final TreeSet<Long> abandoned = new TreeSet<>();
    private long nextAfterHighest = -1;
    private long lastCommitted = -1;

    void started(long offset) {
        pending.add(offset);
        nextAfterHighest = Math.max(nextAfterHighest, offset + 1);
    }

    void finished(long offset) {
        pending.remove(offset);
    }

    /**
     * Gives up an offset without finishing it (its partition is being revoked and the record was
     * never started): it keeps blocking the commit, so the next owner reads it again.
     */
    void abandon(long offset) {
        if (pending.contains(offset)) {
            abandoned.add(offset);
        }
    }

    /** Offsets taken and neither finished nor abandoned: work still going on. */
    int activeCount() {
        return pending.size() - abandoned.size();
    }

    /** The offset to commit now (the next record to read), or empty if nothing new is finished. */
    OptionalLong committable() {
        long next = pending.isEmpty() ? nextAfterHighest : pending.first();
        return next > lastCommitted ? OptionalLong.of(next) : OptionalLong.empty();
    }

    void committed(long offset) {
        lastCommitted = Math.max(lastCommitted, offset);
    }
}
