package io.conveyor.bench.worker;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Snapshots of CPU time taken by the orchestrator: this JVM's own (the embedded broker, nearly
 * all of it) and the whole machine's busy and total time from {@code /proc/stat} (zero where
 * that file does not exist), so a row can say what else was using the cores. (Also the rollup
 * benchmark's orchestrator's.)
 */
public record MachineCpu(long brokerNanos, long machineBusyNanos, long machineTotalNanos) {
    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ = 100 on Linux

    public static MachineCpu now() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long busy = 0;
        long total = 0;
        try {
            String[] f =
                    Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            for (int i = 1; i < f.length && i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i != 4 && i != 5) { // idle, iowait
                    busy += v;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: machine figures stay zero
        }
        return new MachineCpu(os.getProcessCpuTime(), busy * NANOS_PER_TICK, total * NANOS_PER_TICK);
    }

    public MachineCpu minus(MachineCpu earlier) {
        return new MachineCpu(
                brokerNanos - earlier.brokerNanos,
                machineBusyNanos - earlier.machineBusyNanos,
                machineTotalNanos - earlier.machineTotalNanos);
    }
}
