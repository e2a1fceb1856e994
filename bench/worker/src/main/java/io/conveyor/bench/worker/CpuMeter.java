package io.conveyor.bench.worker;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of the system under test in this JVM: the process's CPU time (every thread, JIT and GC
 * included) minus that of the harness's own threads, which are the ones whose name contains
 * {@link #HARNESS} (the monitor thread, and the network threads of the harness's Kafka clients,
 * whose client ids carry the same marker). Thread-safe.
 */
final class CpuMeter {
    /** Marks a harness thread or Kafka client id; its CPU is not charged to the subject. */
    static final String HARNESS = "bench-harness";

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /** The subject's CPU time so far, in nanoseconds. */
    long subjectNanos() {
        long harness = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(HARNESS)) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                harness += Math.max(0, t);
            }
        }
        return os.getProcessCpuTime() - harness;
    }
}
