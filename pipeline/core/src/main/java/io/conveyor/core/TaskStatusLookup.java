package io.conveyor.core;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Finds the current view of a task by id. Implemented by the rollups' status table; the API
 * calls it from the event loop, so implementations must not block the caller.
 */
@FunctionalInterface
public interface TaskStatusLookup {
    CompletionStage<Optional<TaskResult>> find(String taskId);
}
