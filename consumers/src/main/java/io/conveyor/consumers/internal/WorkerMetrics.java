package io.conveyor.consumers.internal;

import io.conveyor.core.Meters;
import io.conveyor.core.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The worker's meters, from the catalogue in {@link Meters}. Thread-safe. */
final class WorkerMetrics {
    private final MeterRegistry registry;

    WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void completed(String type, TaskStatus status) {
        Meters.counter(registry, Meters.TASKS_COMPLETED, type, status.name()).increment();
    }

    void retried(String type) {
        Meters.counter(registry, Meters.TASKS_RETRIED, type).increment();
    }

    void deadLettered(String reason) {
        Meters.counter(registry, Meters.TASKS_DEAD_LETTERED, reason).increment();
    }

    void ran(String type, String outcome, Duration took) {
        Meters.timer(registry, Meters.TASK_RUN, type, outcome).record(took);
    }

    void waited(String type, Duration waited) {
        Timer t = Meters.timer(registry, Meters.TASK_QUEUE_WAIT, type);
        t.record(waited.isNegative() ? Duration.ZERO : waited);
    }

    Counter pauses() {
        return Meters.counter(registry, Meters.WORKER_PAUSES);
    }
}
