package io.conveyor.bench.worker;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this JVM's JIT compiler threads, from {@code /proc/self/task} (Linux; 0 elsewhere).
 * Not {@code CompilationMXBean.getTotalCompilationTime()}: that is the compilers' wall time, which
 * on a busy machine counts the time they waited for a core. Used by both benchmark harnesses to
 * show how much of a measured window still went to compiling. A compiler thread that ends takes
 * its time with it: HotSpot adds and removes compiler threads as the queue grows and shrinks on
 * larger machines ({@code -XX:-UseDynamicNumberOfCompilerThreads} keeps them); on 2 cores it starts
 * 2 and keeps them. Thread-safe.
 */
public final class JitCpu {
    /** USER_HZ: the unit of the times in {@code /proc/<pid>/task/<tid>/stat}. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private JitCpu() {}

    /** The compiler threads' CPU time so far (user and system), in nanoseconds. */
    public static long nanos() {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    if (Files.readString(task.resolve("comm")).contains("CompilerThre")) {
                        String stat = Files.readString(task.resolve("stat"));
                        // fields after the command's closing parenthesis: state is 3, utime 14, stime 15
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * NANOS_PER_TICK;
    }
}
