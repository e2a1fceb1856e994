package io.conveyor.bench.rollups;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a row's JVM talks to the orchestrator (lines on stdout that start with {@link #PREFIX},
 * followed by {@code key=value} pairs), and how it measures the CPU of the system under test: the
 * process's CPU time minus that of the harness's own threads, whose names contain {@link #HARNESS}.
 */
final class Protocol {
    static final String PREFIX = "@bench ";
    /** Marks a harness thread or Kafka client id; its CPU is not charged to the subject. */
    static final String HARNESS = "bench-harness";

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private Protocol() {}

    static void emit(Map<String, ?> fields) {
        StringBuilder line = new StringBuilder(PREFIX);
        fields.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
        System.out.println(line.toString().trim());
        System.out.flush();
    }

    /** Marks the start or end of a pass's measured window, for the orchestrator's CPU readings. */
    static void mark(String mark, String pass) {
        emit(Map.of("mark", mark, "pass", pass));
    }

    static Map<String, String> parse(String line) {
        return parseArgs(line.substring(PREFIX.length()).trim().split("\\s+"));
    }

    /** {@code key=value} arguments, in order. */
    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, but got '" + arg + "'");
            }
            fields.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return fields;
    }

    /** The subject's CPU time so far, in nanoseconds (this JVM's, less the harness threads'). */
    static long subjectCpuNanos() {
        long harness = 0;
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(HARNESS)) {
                harness += Math.max(0, THREADS.getThreadCpuTime(info.getThreadId()));
            }
        }
        return OS.getProcessCpuTime() - harness;
    }
}
