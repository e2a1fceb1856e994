package io.conveyor.producers.internal;

import io.conveyor.core.Task;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The status lookup as this API answers it: the status table first, and for a task this instance
 * accepted moments ago and the table has not seen yet, its {@code QUEUED} view, so a lookup right
 * after the 202 never says 404. Holds at most {@code capacity} tasks for {@code ttl}. Thread-safe.
 */
public final class RecentlyAccepted implements TaskStatusLookup {
    private final TaskStatusLookup table;
    private final Clock clock;
    private final Duration ttl;
    private final Map<String, TaskResult> recent;

    public RecentlyAccepted(TaskStatusLookup table, int capacity, Duration ttl, Clock clock) {
        this.table = table;
        this.clock = clock;
        this.ttl = ttl;
        this.recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, TaskResult> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Called once Kafka acknowledged the task. */
    public void accepted(Task task) {
        synchronized (recent) {
            recent.put(task.id(), TaskResult.queued(task));
        }
    }

    @Override
    public CompletionStage<Optional<TaskResult>> find(String taskId) {
        return table.find(taskId).thenApply(found -> found.isPresent() ? found : queued(taskId));
    }

    private Optional<TaskResult> queued(String taskId) {
        synchronized (recent) {
            TaskResult view = recent.get(taskId);
            if (view == null || view.updatedAt().plus(ttl).isBefore(clock.instant())) {
                return Optional.empty();
            }
            return Optional.of(view);
        }
    }
}
