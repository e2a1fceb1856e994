package io.conveyor.bench.worker;

import io.conveyor.core.Priority;
import io.conveyor.core.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One throughput row, in its own JVM: a warm-up pass, then the measured pass, each on its own
 * pre-loaded topics and a fresh consumer group. A pass's window opens when the first result is on
 * the results topic (so group join and client start-up are not counted) and closes when all
 * {@code 2 × tasks} results are; the subject's CPU time is taken at both ends. Afterwards it checks
 * that the group committed every task offset. Runs on the calling thread, which counts as harness.
 */
final class ThroughputRow {
    private static final Duration SAMPLE = Duration.ofMillis(20);
    private static final Duration PASS_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(20);

    private final Subject.Kind kind;
    private final Workload workload;
    private final String bootstrap;
    private final int partitions;
    private final int concurrency;
    private final CpuMeter cpu = new CpuMeter();

    ThroughputRow(Subject.Kind kind, Workload workload, String bootstrap, int partitions, int concurrency) {
        this.kind = kind;
        this.workload = workload;
        this.bootstrap = bootstrap;
        this.partitions = partitions;
        this.concurrency = concurrency;
    }

    /** Runs one pass over {@code tasks} tasks pre-loaded under {@code prefix}; prints its figures. */
    Map<String, Object> pass(String name, String prefix, long tasks) throws InterruptedException {
        Topics topics = new Topics(prefix, partitions, Optional.empty());
        String group = prefix + "-group";
        try (ResultCounter counter = new ResultCounter(bootstrap)) {
            Subject subject = kind.start(new Subject.Target(bootstrap, topics, group, workload, concurrency));
            try {
                return measure(name, topics, group, tasks, counter);
            } finally {
                subject.close();
            }
        }
    }

    private Map<String, Object> measure(String name, Topics topics, String group, long tasks, ResultCounter counter)
            throws InterruptedException {
        long expected = 2 * tasks;
        long deadline = System.nanoTime() + PASS_TIMEOUT.toNanos();
        long t1 = 0;
        long cpu1 = 0;
        long jit1 = 0;
        long c1 = 0;
        long c;
        while ((c = counter.records(topics.results(), partitions)) < expected) {
            if (t1 == 0 && c > 0) {
                t1 = System.nanoTime();
                cpu1 = cpu.subjectNanos();
                jit1 = JitCpu.nanos();
                c1 = c;
                Protocol.emit(Map.of("mark", "start", "pass", name));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + ": only " + c + " of " + expected + " results after "
                        + PASS_TIMEOUT.toMinutes() + " min");
            }
            Thread.sleep(SAMPLE);
        }
        long t2 = System.nanoTime();
        long cpu2 = cpu.subjectNanos();
        long jit2 = JitCpu.nanos();
        Protocol.emit(Map.of("mark", "end", "pass", name));
        boolean committed = awaitCommitted(counter, group, topics.tasks(Priority.NORMAL), tasks);
        double measured = (expected - c1) / 2.0;
        double seconds = (t2 - t1) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pass", name);
        out.put("tasks", tasks);
        out.put("measuredTasks", (long) measured);
        out.put("seconds", String.format("%.3f", seconds));
        out.put("cpuSeconds", String.format("%.3f", (cpu2 - cpu1) / 1e9));
        out.put("jitCpuSeconds", String.format("%.3f", (jit2 - jit1) / 1e9));
        out.put("results", c);
        out.put("committed", committed);
        Protocol.emit(out);
        return out;
    }

    private boolean awaitCommitted(ResultCounter counter, String group, String topic, long tasks)
            throws InterruptedException {
        long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (counter.committed(group, topic, partitions) >= tasks) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
