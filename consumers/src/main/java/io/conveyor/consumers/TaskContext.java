package io.conveyor.consumers;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.Task;
import java.time.Instant;
import java.util.Optional;

/** What a handler gets for one attempt. */
public interface TaskContext {

    /** The task being run. */
    Task task();

    /** Its payload (JSON null when it has none). */
    default JsonNode payload() {
        return task().payload();
    }

    /** Which attempt this is, starting at 1. */
    default int attempt() {
        return task().attempt();
    }

    /** When the attempt will be interrupted for taking too long, if the task has a timeout. */
    Optional<Instant> deadline();

    /** Whether the task was cancelled or timed out; a handler should stop soon when it is. */
    boolean isCancelled();

    /** The worker running the attempt. */
    String workerId();
}
