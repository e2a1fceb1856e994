package io.conveyor.producers.internal;

import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Idempotency keys: a submission whose {@code idempotencyKey} was seen within the window gets the
 * first task's id and creates no task.
 *
 * <p>How, in three layers:
 *
 * <ol>
 *   <li><b>Deterministic ids.</b> The task id is a name-based UUID of the topic prefix, the key and
 *       the window bucket ({@code now / window}). Two API instances that see one key in one bucket
 *       choose the same id without talking to each other.
 *   <li><b>Local memory.</b> A bounded map key → (id, first seen) answers repeats on this instance
 *       exactly, including concurrent ones (the second waits for the first's acknowledgement).
 *   <li><b>The status table</b>, when a lookup is configured: before writing, the ids of this
 *       bucket and the previous one are looked up; a task found (and, for the previous bucket,
 *       submitted within the window) is answered as the duplicate. This catches repeats across
 *       instances and across a bucket boundary.
 * </ol>
 *
 * <p>The remaining race, stated plainly: two instances that receive one key before either task's
 * {@code QUEUED} change reached the status table (tens of milliseconds) both write it. Within one
 * bucket they write the same id: the status table merges the two records into one task, and the
 * worker may run it twice (execution is at-least-once anyway). Across a bucket boundary, with no
 * lookup configured, they would write two ids. A lookup that fails or takes over a second is
 * treated as "not found": availability over exactness.
 *
 * <p>Thread-safe: the map is guarded by its own lock; lookups complete on any thread.
 */
public final class Idempotency {
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(1);

    /** What to do with a keyed submission: write {@code id}, or answer with it as a duplicate. */
    public record Resolution(String id, boolean duplicate, CompletableFuture<String> claim) {}

    private record Seen(CompletableFuture<String> id, long firstSeen) {}

    private final String prefix;
    private final long windowMs;
    private final Clock clock;
    private final TaskStatusLookup lookup;
    private final LinkedHashMap<String, Seen> entries;

    /**
     * @param prefix the topic prefix (two deployments on one cluster do not share ids)
     * @param capacity most keys remembered; the oldest are forgotten first
     * @param lookup the status table, or null
     */
    public Idempotency(String prefix, long windowMs, int capacity, Clock clock, TaskStatusLookup lookup) {
        this.prefix = prefix;
        this.windowMs = windowMs;
        this.clock = clock;
        this.lookup = lookup;
        this.entries = new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The id a key gets in the bucket of {@code epochMillis}. */
    public String idFor(String key, long epochMillis) {
        long bucket = Math.floorDiv(epochMillis, windowMs);
        return UUID.nameUUIDFromBytes((prefix + '\u0000' + bucket + '\u0000' + key).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    /**
     * Decides about a submission with this key. A {@link Resolution} to write carries a claim the
     * caller must settle: {@link #written} after Kafka acknowledged, {@link #failed} otherwise.
     */
    public CompletionStage<Resolution> resolve(String key) {
        long now = clock.millis();
        CompletableFuture<String> claim = new CompletableFuture<>();
        Seen seen;
        synchronized (entries) {
            forgetExpired(now);
            seen = entries.get(key);
            if (seen == null) {
                entries.put(key, new Seen(claim, now));
            }
        }
        if (seen != null) {
            return seen.id().thenApply(id -> new Resolution(id, true, seen.id()));
        }
        String current = idFor(key, now);
        if (lookup == null) {
            return CompletableFuture.completedFuture(new Resolution(current, false, claim));
        }
        String previous = idFor(key, now - windowMs);
        CompletableFuture<Optional<TaskResult>> inCurrent = find(current);
        CompletableFuture<Optional<TaskResult>> inPrevious = find(previous);
        return inCurrent.thenCombine(inPrevious, (cur, prev) -> {
            if (cur.isPresent()) {
                claim.complete(current);
                return new Resolution(current, true, claim);
            }
            if (prev.isPresent() && withinWindow(prev.get(), now)) {
                claim.complete(previous);
                return new Resolution(previous, true, claim);
            }
            return new Resolution(current, false, claim);
        });
    }

    private boolean withinWindow(TaskResult found, long now) {
        return found.submittedAt() == null || now - found.submittedAt().toEpochMilli() < windowMs;
    }

    private CompletableFuture<Optional<TaskResult>> find(String id) {
        try {
            return lookup.find(id)
                    .toCompletableFuture()
                    .orTimeout(LOOKUP_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .exceptionally(e -> Optional.empty());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
    }

    /** Kafka acknowledged the task written for this claim. */
    public void written(Resolution resolution) {
        resolution.claim().complete(resolution.id());
    }

    /** The write for this claim failed: forget the key, so that a retry writes again. */
    public void failed(String key, Resolution resolution, Throwable error) {
        synchronized (entries) {
            Seen entry = entries.get(key);
            if (entry != null && entry.id() == resolution.claim()) {
                entries.remove(key);
            }
        }
        resolution.claim().completeExceptionally(error);
    }

    /** Keys remembered now. */
    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private void forgetExpired(long now) {
        for (Iterator<Seen> it = entries.values().iterator(); it.hasNext(); ) {
            Seen e = it.next();
            if (now - e.firstSeen() < windowMs) {
                return; // entries are in the order they were first seen
            }
            it.remove();
        }
    }
}
