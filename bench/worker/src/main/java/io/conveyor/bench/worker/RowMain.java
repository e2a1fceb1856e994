package io.conveyor.bench.worker;

import java.time.Duration;
import java.util.Map;

/**
 * The entry point of a row's JVM, started by {@link BenchMain}: {@code mode=throughput} runs a
 * warm-up pass and a measured pass of one implementation on one workload; {@code mode=overload}
 * runs row (e). Figures go to stdout as {@link Protocol} lines.
 */
public final class RowMain {
    private RowMain() {}

    public static void main(String[] args) throws Exception {
        Thread.currentThread().setName(CpuMeter.HARNESS + "-main");
        Map<String, String> a = Protocol.parseArgs(args);
        String bootstrap = a.get("bootstrap");
        int partitions = Integer.parseInt(a.get("partitions"));
        int concurrency = Integer.parseInt(a.get("concurrency"));
        switch (a.get("mode")) {
            case "throughput" -> {
                var row = new ThroughputRow(
                        Subject.Kind.valueOf(a.get("kind")),
                        Workload.of(a.get("workload")),
                        bootstrap,
                        partitions,
                        concurrency);
                row.pass("warmup", a.get("warmPrefix"), Long.parseLong(a.get("warmTasks")));
                row.pass("run", a.get("prefix"), Long.parseLong(a.get("tasks")));
            }
            case "overload" ->
                new OverloadRow(
                                bootstrap,
                                partitions,
                                concurrency,
                                Duration.ofSeconds(Long.parseLong(a.get("seconds"))))
                        .run(a.get("prefix"));
            default -> throw new IllegalArgumentException("mode must be throughput or overload, but was " + a);
        }
        System.exit(0); // a subject's stray non-daemon thread must not keep the row alive
    }
}
