package io.conveyor.consumers.internal;

import io.conveyor.core.Meters;
import io.conveyor.core.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;

/** The worker's meters, from the catalogue in {@link Meters}. Thread-safe. */
final class WorkerMetrics {
    private final MeterRegistry registry;
    // per-task meters, looked up once per tag combination (types are bounded by the handlers)
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

    /** A meter's name and tags, as a map key: cheaper to hash and compare than a list. */
    private record Key(String meter, String first, String second) {}

    WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        // registered up front, so dashboards show 0 rather than "no data" before the first event
        Meters.counter(registry, Meters.WORKER_PAUSES);
        for (String kind : new String[] {"assigned", "revoked", "lost"}) {
            Meters.counter(registry, Meters.WORKER_REBALANCES, kind);
        }
        for (String reason : new String[] {"exhausted", "non_retriable", "malformed"}) {
            Meters.counter(registry, Meters.TASKS_DEAD_LETTERED, reason);
        }
        for (String reason : CONTROL_SKIPPED) {
            Meters.counter(registry, Meters.WORKER_CONTROL_SKIPPED, reason);
        }
    }

    /** Why a control record is skipped: the reasons {@link #controlSkipped} takes. */
    static final String[] CONTROL_SKIPPED = {"no_key", "unreadable", "unknown_action"};

    /** A record on the control topic that could not be applied. */
    void controlSkipped(String reason) {
        counters.computeIfAbsent(
                        new Key("control-skipped", reason, ""),
                        k -> Meters.counter(registry, Meters.WORKER_CONTROL_SKIPPED, reason))
                .increment();
    }

    void completed(String type, TaskStatus status) {
        counters.computeIfAbsent(
                        new Key("completed", type, status.name()),
                        k -> Meters.counter(registry, Meters.TASKS_COMPLETED, type, status.name()))
                .increment();
    }

    void retried(String type) {
        counters.computeIfAbsent(
                        new Key("retried", type, ""), k -> Meters.counter(registry, Meters.TASKS_RETRIED, type))
                .increment();
    }

    void deadLettered(String reason) {
        counters.computeIfAbsent(
                        new Key("dead", reason, ""), k -> Meters.counter(registry, Meters.TASKS_DEAD_LETTERED, reason))
                .increment();
    }

    void ran(String type, String outcome, Duration took) {
        timers.computeIfAbsent(
                        new Key("run", type, outcome), k -> Meters.timer(registry, Meters.TASK_RUN, type, outcome))
                .record(took);
    }

    void waited(String type, Duration waited) {
        timers.computeIfAbsent(new Key("wait", type, ""), k -> Meters.timer(registry, Meters.TASK_QUEUE_WAIT, type))
                .record(waited.isNegative() ? Duration.ZERO : waited);
    }

    void paused() {
        Meters.counter(registry, Meters.WORKER_PAUSES).increment();
    }

    void committed(Duration took) {
        // a histogram (like the catalogue's other timers), so dashboards can show commit p99
        Meters.timer(registry, Meters.WORKER_COMMIT).record(took);
    }

    void rebalanced(String kind, int partitions) {
        Meters.counter(registry, Meters.WORKER_REBALANCES, kind).increment(partitions);
    }

    /** A lag gauge for a newly assigned partition, reading the poll loop's last measurement. */
    void lagGauge(TopicPartition tp, Map<TopicPartition, Long> lags) {
        Gauge.builder(Meters.WORKER_LAG.name(), lags, m -> m.getOrDefault(tp, 0L))
                .description(Meters.WORKER_LAG.description())
                .baseUnit(Meters.WORKER_LAG.unit())
                .tags(Meters.tags(Meters.WORKER_LAG, tp.topic(), String.valueOf(tp.partition())))
                .strongReference(true)
                .register(registry);
    }

    void removeLagGauge(TopicPartition tp) {
        Meter.Id id = registry.find(Meters.WORKER_LAG.name())
                                .tags(Meters.tags(Meters.WORKER_LAG, tp.topic(), String.valueOf(tp.partition())))
                                .meter()
                        instanceof Meter m
                ? m.getId()
                : null;
        if (id != null) {
            registry.remove(id);
        }
    }
}
