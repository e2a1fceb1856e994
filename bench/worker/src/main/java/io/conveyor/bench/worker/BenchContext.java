package io.conveyor.bench.worker;

import io.conveyor.consumers.TaskContext;
import io.conveyor.core.Task;
import java.time.Instant;
import java.util.Optional;

/** The context the baselines hand to a handler: no deadline, never cancelled. */
record BenchContext(Task task, String workerId) implements TaskContext {
    @Override
    public Optional<Instant> deadline() {
        return Optional.empty();
    }

    @Override
    public boolean isCancelled() {
        return false;
    }
}
