package io.conveyor.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The catalogue of every Conveyor meter. Roles create meters only through these specs, so the
 * README table, the dashboards and the alert rules can rely on the names.
 */
public final class Meters {
    private Meters() {}

    public static final MeterSpec TASKS_SUBMITTED = new MeterSpec(
            "conveyor.tasks.submitted",
            MeterSpec.Type.COUNTER,
            null,
            "Tasks accepted by the API (Kafka acknowledged the write)",
            List.of("type", "priority"));
    public static final MeterSpec TASKS_REJECTED = new MeterSpec(
            "conveyor.tasks.rejected",
            MeterSpec.Type.COUNTER,
            null,
            "Submissions (requests or batch items) refused, by reason (invalid, kafka_error, kafka_unavailable, overloaded, rate_limited,"
                    + " shutting_down)",
            List.of("reason"));
    public static final MeterSpec TASKS_COMPLETED = new MeterSpec(
            "conveyor.tasks.completed",
            MeterSpec.Type.COUNTER,
            null,
            "Tasks that reached a terminal status on this worker",
            List.of("type", "status"));
    public static final MeterSpec TASKS_RETRIED = new MeterSpec(
            "conveyor.tasks.retried",
            MeterSpec.Type.COUNTER,
            null,
            "Failed attempts sent to the retry topic",
            List.of("type"));
    public static final MeterSpec TASKS_DEAD_LETTERED = new MeterSpec(
            "conveyor.tasks.dead.lettered",
            MeterSpec.Type.COUNTER,
            null,
            "Records sent to the dead-letter topic, by reason (exhausted, non_retriable, malformed)",
            List.of("reason"));
    public static final MeterSpec TASK_RUN = new MeterSpec(
            "conveyor.task.run",
            MeterSpec.Type.TIMER,
            "seconds",
            "Time a handler ran, per attempt",
            List.of("type", "outcome"));
    public static final MeterSpec TASK_QUEUE_WAIT = new MeterSpec(
            "conveyor.task.queue.wait",
            MeterSpec.Type.TIMER,
            "seconds",
            "Time from submission (or due time) to the start of an attempt",
            List.of("type"));
    public static final MeterSpec WORKER_INFLIGHT = new MeterSpec(
            "conveyor.worker.inflight", MeterSpec.Type.GAUGE, null, "Tasks running now on this worker", List.of());
    public static final MeterSpec WORKER_QUEUE_DEPTH = new MeterSpec(
            "conveyor.worker.queue.depth",
            MeterSpec.Type.GAUGE,
            null,
            "Records held by this worker that have not finished",
            List.of());
    public static final MeterSpec WORKER_QUEUE_CAPACITY = new MeterSpec(
            "conveyor.worker.queue.capacity",
            MeterSpec.Type.GAUGE,
            null,
            "Most records this worker holds before pausing its partitions",
            List.of());
    public static final MeterSpec WORKER_PAUSED_PARTITIONS = new MeterSpec(
            "conveyor.worker.paused.partitions",
            MeterSpec.Type.GAUGE,
            null,
            "Partitions this worker has paused for backpressure",
            List.of());

    public static final MeterSpec WORKER_PAUSES = new MeterSpec(
            "conveyor.worker.pauses",
            MeterSpec.Type.COUNTER,
            null,
            "Times this worker paused its partitions because its queue was full",
            List.of());

    public static final MeterSpec WORKER_LAG = new MeterSpec(
            "conveyor.worker.lag",
            MeterSpec.Type.GAUGE,
            "records",
            "Records behind the end of each partition this worker owns",
            List.of("topic", "partition"));
    public static final MeterSpec WORKER_COMMIT = new MeterSpec(
            "conveyor.worker.commit", MeterSpec.Type.TIMER, "seconds", "Time an offset commit took", List.of());
    public static final MeterSpec WORKER_REBALANCES = new MeterSpec(
            "conveyor.worker.rebalances",
            MeterSpec.Type.COUNTER,
            null,
            "Partitions assigned to, revoked from or lost by this worker",
            List.of("kind"));
    public static final MeterSpec WORKER_CONTROL_SKIPPED = new MeterSpec(
            "conveyor.worker.control.skipped",
            MeterSpec.Type.COUNTER,
            null,
            "Records on the control topic this worker skipped, by reason: no_key (no task id), unreadable (a key"
                    + " that is not UTF-8, a value that is not a JSON object), unknown_action (an action this version"
                    + " does not know, from a newer writer)",
            List.of("reason"));

    public static final MeterSpec TASKS_DEDUPLICATED = new MeterSpec(
            "conveyor.tasks.deduplicated",
            MeterSpec.Type.COUNTER,
            null,
            "Submissions answered with an earlier task's id (same idempotencyKey within the window)",
            List.of());
    public static final MeterSpec TASKS_CANCEL_REQUESTED = new MeterSpec(
            "conveyor.tasks.cancel.requested",
            MeterSpec.Type.COUNTER,
            null,
            "Cancellations the API wrote to the control topic",
            List.of());
    public static final MeterSpec API_INFLIGHT = new MeterSpec(
            "conveyor.api.inflight",
            MeterSpec.Type.GAUGE,
            null,
            "Tasks the API accepted for writing and has not answered yet (Kafka acknowledgement pending)",
            List.of());
    public static final MeterSpec API_BUFFERED = new MeterSpec(
            "conveyor.api.buffered", MeterSpec.Type.GAUGE, "bytes", "Bytes of those in-flight task records", List.of());
    public static final MeterSpec API_PRESSURE = new MeterSpec(
            "conveyor.api.pressure",
            MeterSpec.Type.GAUGE,
            null,
            "In-flight tasks (or bytes) as a fraction of the high watermark; from 1 until below the low one, 503",
            List.of());
    public static final MeterSpec API_SHEDDING = new MeterSpec(
            "conveyor.api.shedding",
            MeterSpec.Type.GAUGE,
            null,
            "1 while the API refuses submissions with 503 because of pressure, else 0",
            List.of());
    public static final MeterSpec API_BATCH_SIZE = new MeterSpec(
            "conveyor.api.batch.size",
            MeterSpec.Type.DISTRIBUTION,
            null,
            "Tasks per POST /v1/tasks/batch request",
            List.of());
    public static final MeterSpec API_CONNECTIONS_CLOSED = new MeterSpec(
            "conveyor.api.connections.closed",
            MeterSpec.Type.COUNTER,
            null,
            "Connections the API closed on a client, by reason: idle_timeout (no whole request head within"
                    + " api.idle.timeout.ms), body_timeout (body not received within api.body.timeout.ms; 408),"
                    + " invalid_request (not HTTP it can read: request line or headers too long, bad syntax; 400, 414,"
                    + " 431)",
            List.of("reason"));

    public static final MeterSpec ROLLUP_TASKS = new MeterSpec(
            "conveyor.rollup.tasks",
            MeterSpec.Type.GAUGE,
            null,
            "Tasks that reached a terminal status in the last closed rollup window",
            List.of("type", "status", "window"));
    public static final MeterSpec ROLLUP_RETRIES = new MeterSpec(
            "conveyor.rollup.retries",
            MeterSpec.Type.GAUGE,
            null,
            "Failed attempts that were retried (RETRYING results) in the last closed rollup window",
            List.of("type", "window"));
    public static final MeterSpec ROLLUP_DEAD_LETTERS = new MeterSpec(
            "conveyor.rollup.dead.letters",
            MeterSpec.Type.GAUGE,
            null,
            "Tasks dead-lettered (FAILED) in the last closed rollup window",
            List.of("type", "window"));
    public static final MeterSpec ROLLUP_THROUGHPUT = new MeterSpec(
            "conveyor.rollup.throughput",
            MeterSpec.Type.GAUGE,
            "tasks_per_second",
            "Terminal tasks per second over the last closed rollup window",
            List.of("type", "window"));
    public static final MeterSpec ROLLUP_LATENCY = new MeterSpec(
            "conveyor.rollup.latency",
            MeterSpec.Type.GAUGE,
            "seconds",
            "Latency quantile (0.5, 0.9, 0.99, 0.999) of the tasks finished in the last closed rollup window, by"
                    + " phase (end_to_end, queue_wait, run)",
            List.of("type", "window", "phase", "quantile"));
    public static final MeterSpec ROLLUP_LATENCY_MAX = new MeterSpec(
            "conveyor.rollup.latency.max",
            MeterSpec.Type.GAUGE,
            "seconds",
            "Longest latency of the tasks finished in the last closed rollup window, by phase",
            List.of("type", "window", "phase"));
    public static final MeterSpec ROLLUP_ARRIVAL_RATE = new MeterSpec(
            "conveyor.rollup.arrival.rate",
            MeterSpec.Type.GAUGE,
            "per_second",
            "Capacity hint: tasks arriving per second (all types, last closed window of the smallest size)",
            List.of());
    public static final MeterSpec ROLLUP_COMPLETION_RATE = new MeterSpec(
            "conveyor.rollup.completion.rate",
            MeterSpec.Type.GAUGE,
            "per_second",
            "Capacity hint: tasks reaching a terminal status per second (same window)",
            List.of());
    public static final MeterSpec ROLLUP_BACKLOG = new MeterSpec(
            "conveyor.rollup.backlog",
            MeterSpec.Type.GAUGE,
            "tasks",
            "Capacity hint: task records the worker group has not consumed yet (lag on the task and retry topics);"
                    + " NaN when unknown",
            List.of());
    public static final MeterSpec ROLLUP_RECOMMENDED_WORKERS = new MeterSpec(
            "conveyor.rollup.recommended.workers",
            MeterSpec.Type.GAUGE,
            null,
            "Capacity hint: workers the current load needs by Little's law, ceil(arrival rate x mean run time /"
                    + " worker.concurrency)",
            List.of());
    public static final MeterSpec ROLLUP_DRAIN = new MeterSpec(
            "conveyor.rollup.drain",
            MeterSpec.Type.GAUGE,
            "seconds",
            "Capacity hint: backlog / (completion rate - arrival rate); +Inf when the backlog does not shrink",
            List.of());
    public static final MeterSpec ROLLUP_LATE_RECORDS = new MeterSpec(
            "conveyor.rollup.late.records",
            MeterSpec.Type.COUNTER,
            null,
            "Results that arrived after their window ended but within the grace, and were counted",
            List.of("window"));
    public static final MeterSpec ROLLUP_REDATED_RECORDS = new MeterSpec(
            "conveyor.rollup.redated.records",
            MeterSpec.Type.COUNTER,
            null,
            "Results that arrived after their window closed (end + grace), counted as late in the first window"
                    + " still open",
            List.of("window"));
    public static final MeterSpec ROLLUP_SKIPPED_RECORDS = new MeterSpec(
            "conveyor.rollup.skipped.records",
            MeterSpec.Type.COUNTER,
            null,
            "Records the rollups could not use and skipped, by topic (tasks: the arrivals; results: the status"
                    + " table and windows; rollups: the closed windows read back) and reason (unreadable, no_value: a"
                    + " tombstone, no_key: a result without a task id)",
            List.of("topic", "reason"));

    /** Every meter, in the order the README lists them. */
    public static final List<MeterSpec> ALL = List.of(
            TASKS_SUBMITTED,
            TASKS_REJECTED,
            TASKS_COMPLETED,
            TASKS_RETRIED,
            TASKS_DEAD_LETTERED,
            TASK_RUN,
            TASK_QUEUE_WAIT,
            WORKER_INFLIGHT,
            WORKER_QUEUE_DEPTH,
            WORKER_QUEUE_CAPACITY,
            WORKER_PAUSED_PARTITIONS,
            WORKER_PAUSES,
            WORKER_LAG,
            WORKER_COMMIT,
            WORKER_REBALANCES,
            WORKER_CONTROL_SKIPPED,
            TASKS_DEDUPLICATED,
            TASKS_CANCEL_REQUESTED,
            API_INFLIGHT,
            API_BUFFERED,
            API_PRESSURE,
            API_SHEDDING,
            API_BATCH_SIZE,
            API_CONNECTIONS_CLOSED,
            ROLLUP_TASKS,
            ROLLUP_RETRIES,
            ROLLUP_DEAD_LETTERS,
            ROLLUP_THROUGHPUT,
            ROLLUP_LATENCY,
            ROLLUP_LATENCY_MAX,
            ROLLUP_ARRIVAL_RATE,
            ROLLUP_COMPLETION_RATE,
            ROLLUP_BACKLOG,
            ROLLUP_RECOMMENDED_WORKERS,
            ROLLUP_DRAIN,
            ROLLUP_LATE_RECORDS,
            ROLLUP_REDATED_RECORDS,
            ROLLUP_SKIPPED_RECORDS);

    /** The counter of {@code spec} with the given tag values, in the spec's tag order. */
    public static Counter counter(MeterRegistry registry, MeterSpec spec, String... tagValues) {
        return Counter.builder(spec.name())
                .description(spec.description())
                .tags(tags(spec, tagValues))
                .register(registry);
    }

    /**
     * A gauge of {@code spec} reading {@code state}. The registry holds {@code state} weakly: the
     * caller keeps a strong reference for as long as the gauge should read.
     */
    public static <T> Gauge gauge(
            MeterRegistry registry, MeterSpec spec, T state, ToDoubleFunction<T> value, String... tagValues) {
        return Gauge.builder(spec.name(), state, value)
                .description(spec.description())
                .baseUnit(spec.unit())
                .tags(tags(spec, tagValues))
                .register(registry);
    }

    /** The distribution summary of {@code spec}, with buckets from 1 to 10,000 (1-2-5 steps). */
    public static DistributionSummary summary(MeterRegistry registry, MeterSpec spec, String... tagValues) {
        return DistributionSummary.builder(spec.name())
                .description(spec.description())
                .baseUnit(spec.unit())
                .tags(tags(spec, tagValues))
                .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)
                .register(registry);
    }

    /** The timer of {@code spec}, publishing a histogram for percentiles in Prometheus. */
    public static Timer timer(MeterRegistry registry, MeterSpec spec, String... tagValues) {
        return Timer.builder(spec.name())
                .description(spec.description())
                .tags(tags(spec, tagValues))
                .publishPercentileHistogram()
                .register(registry);
    }

    /** Alternating tag keys and values for Micrometer, checked against the spec. */
    public static String[] tags(MeterSpec spec, String... tagValues) {
        if (tagValues.length != spec.tags().size()) {
            throw new IllegalArgumentException(
                    spec.name() + " takes tags " + spec.tags() + ", but got " + tagValues.length + " values");
        }
        String[] kv = new String[tagValues.length * 2];
        for (int i = 0; i < tagValues.length; i++) {
            kv[2 * i] = spec.tags().get(i);
            kv[2 * i + 1] = tagValues[i];
        }
        return kv;
    }
}
