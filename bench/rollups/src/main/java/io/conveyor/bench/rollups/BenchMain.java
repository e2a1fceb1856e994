package io.conveyor.bench.rollups;

import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rollup benchmark (bench/rollups/run.sh). This JVM runs the embedded broker and pre-loads the
 * results topics once (a warm-up set and the measured set); each row runs in a fresh JVM of its own
 * ({@link RowMain}) and reads the same records from scratch, so the CPU time a row reports is its
 * subject's alone and the broker's is measured here over the same window. Rounds interleave the
 * rows; the table shows medians. Arguments are {@code key=value} (see {@link #DEFAULTS}); {@code
 * streams.X=Y} and {@code rollup.X=Y} go to the rollup rows.
 */
public final class BenchMain {
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("rows", "c,r"),
            Map.entry("rounds", "3"),
            Map.entry("tasks", "300000"),
            Map.entry("warmTasks", "60000"),
            Map.entry("warmJitShare", "0.05"),
            Map.entry("warmSeconds", "15"),
            Map.entry("warmMaxSeconds", "120"),
            Map.entry("partitions", "8"),
            Map.entry("workerTasksPerSecond", "90652"),
            Map.entry("rowJvmOptions", "-Xms1g -Xmx1g -XX:+UseG1GC"),
            Map.entry("out", "bench/rollups/target/rollups-bench.md"));

    private static final Map<String, String> LABELS = Map.of(
            "c", "(c) raw KafkaConsumer, reads and does nothing",
            "s", "(s) Kafka Streams floor: no-op topology, exactly-once, 100 ms commits",
            "r", "(r) rollups: status table + windows, exactly-once");

    /** One row's measured pass. */
    record Run(
            String row,
            long records,
            long nanos,
            long cpuNanos,
            long brokerCpuNanos,
            long busyNanos,
            long jitMillis,
            int warmPasses) {
        double seconds() {
            return nanos / 1e9;
        }

        double perSecond() {
            return records / seconds();
        }

        double cpuPer1k() {
            return cpuNanos / 1e9 / records * 1_000;
        }

        double brokerCpuPer1k() {
            return brokerCpuNanos / 1e9 / records * 1_000;
        }

        double machineBusyCores() {
            return busyNanos / (double) nanos;
        }

        /** The share of the window the row's JIT spent compiling (0.1: a tenth of a core). */
        double jitShare() {
            return jitMillis * 1e6 / nanos;
        }
    }

    private final Map<String, String> options;
    private final Map<String, String> passthrough = new LinkedHashMap<>();

    private BenchMain(Map<String, String> given) {
        this.options = new LinkedHashMap<>(DEFAULTS);
        given.forEach((k, v) -> {
            if (k.startsWith("streams.") || k.startsWith("rollup.")) {
                passthrough.put(k, v);
            } else if (DEFAULTS.containsKey(k)) {
                options.put(k, v);
            } else {
                throw new IllegalArgumentException("unknown option '" + k + "'; known: " + DEFAULTS.keySet()
                        + ", and streams.X / rollup.X for the rollups");
            }
        });
    }

    public static void main(String[] args) throws Exception {
        new BenchMain(Protocol.parseArgs(args)).run();
        System.exit(0);
    }

    private void run() throws Exception {
        int partitions = Integer.parseInt(options.get("partitions"));
        long tasks = Long.parseLong(options.get("tasks"));
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        long records;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                        EmbeddedKafkaBroker.Settings.builder().build());
                Preload preload = new Preload(broker.bootstrapServers(), partitions)) {
            log("broker at " + broker.bootstrapServers() + "; pre-loading " + tasks + " tasks (+ "
                    + options.get("warmTasks") + " for warm-up) on " + partitions + " partitions");
            long t = System.nanoTime();
            preload.load("bench-warm", Long.parseLong(options.get("warmTasks")));
            records = preload.load("bench-run", tasks);
            log(String.format(
                    "pre-loaded %,d results of %,d tasks in %.1f s", records, tasks, (System.nanoTime() - t) / 1e9));
            for (int round = 1; round <= Integer.parseInt(options.get("rounds")); round++) {
                for (String row : options.get("rows").split(",")) {
                    if (!LABELS.containsKey(row)) {
                        throw new IllegalArgumentException("unknown row '" + row + "'; known: c, s, r");
                    }
                    log("round " + round + ": " + LABELS.get(row));
                    Run result = launch(row, broker.bootstrapServers(), partitions);
                    log(String.format(
                            "%s: %,d records in %.2f s = %,.0f records/s, %.4f CPU s per 1k records",
                            row, result.records(), result.seconds(), result.perSecond(), result.cpuPer1k()));
                    runs.computeIfAbsent(row, k -> new ArrayList<>()).add(result);
                }
            }
        }
        String table = render(runs, records, tasks);
        System.out.println();
        System.out.println(table);
        Path out = Path.of(options.get("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, table + "\n");
        log("table written to " + out);
    }

    private Run launch(String row, String bootstrap, int partitions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options.get("rowJvmOptions").trim().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RowMain.class.getName()));
        command.addAll(List.of(
                "mode="
                        + switch (row) {
                            case "c" -> "raw";
                            case "s" -> "streams";
                            default -> "rollup";
                        },
                "bootstrap=" + bootstrap,
                "partitions=" + partitions,
                "prefix=bench-run",
                "warmPrefix=bench-warm",
                "warmJitShare=" + options.get("warmJitShare"),
                "warmSeconds=" + options.get("warmSeconds"),
                "warmMaxSeconds=" + options.get("warmMaxSeconds")));
        passthrough.forEach((k, v) -> command.add(k + "=" + v));
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        long brokerStart = 0;
        long brokerCpu = -1;
        long busyStart = 0;
        long busy = 0;
        Map<String, String> figures = null;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (!line.startsWith(Protocol.PREFIX)) {
                    System.err.println(line);
                    continue;
                }
                Map<String, String> fields = Protocol.parse(line);
                boolean measured = "run".equals(fields.get("pass"));
                if ("start".equals(fields.get("mark")) && measured) {
                    brokerStart = Protocol.processCpuNanos();
                    busyStart = machineBusyNanos();
                } else if ("end".equals(fields.get("mark")) && measured) {
                    brokerCpu = Protocol.processCpuNanos() - brokerStart;
                    busy = machineBusyNanos() - busyStart;
                } else if (!fields.containsKey("mark") && measured) {
                    figures = fields;
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || figures == null || brokerCpu < 0) {
            throw new IllegalStateException(LABELS.get(row) + ": its JVM exited with " + exit + " before reporting");
        }
        return new Run(
                row,
                Long.parseLong(figures.get("records")),
                Long.parseLong(figures.get("nanos")),
                Long.parseLong(figures.get("cpuNanos")),
                brokerCpu,
                busy,
                Long.parseLong(figures.get("jitMillis")),
                Integer.parseInt(figures.get("warmPasses")));
    }

    /** Busy time of the whole machine from /proc/stat (user, nice, system, irq, softirq, steal), or 0. */
    private static long machineBusyNanos() {
        try {
            String[] f =
                    Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy * 10_000_000L; // USER_HZ = 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private String render(Map<String, List<Run>> runs, long records, long tasks) {
        double perTask = records / (double) tasks;
        double worker = Double.parseDouble(options.get("workerTasksPerSecond"));
        Map<String, Run> median = new LinkedHashMap<>();
        runs.forEach((row, list) -> {
            List<Run> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingDouble(Run::perSecond));
            median.put(row, sorted.get(sorted.size() / 2));
        });
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                "Rollup benchmark: %,d results of %,d tasks (%.2f per task) on %s partitions; medians of %d"
                        + " interleaved rounds, each row in a fresh JVM after warm-up passes over %,d tasks until"
                        + " its JIT settles (a pass with under %.0f%% of its time compiling, after %s s at least,"
                        + " %s s at most);"
                        + " CPU is the row JVM's alone (the broker's is measured in the orchestrator).%s%n%n",
                records,
                tasks,
                perTask,
                options.get("partitions"),
                runs.values().stream().mapToInt(List::size).max().orElse(0),
                Long.parseLong(options.get("warmTasks")),
                Double.parseDouble(options.get("warmJitShare")) * 100,
                options.get("warmSeconds"),
                options.get("warmMaxSeconds"),
                passthrough.isEmpty() ? "" : " Rollup settings: " + passthrough + "."));
        t.append("| row | records | seconds | records/s | tasks/s | CPU s per 1k records | broker CPU s per 1k"
                + " records | machine busy (cores) | JIT compiling (cores) | warm-up passes | target | ratio |"
                + " pass |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n");
        Run raw = median.get("c");
        for (Run run : median.values()) {
            String target = "ceiling";
            String ratio = "";
            String pass = "—";
            if (run.row().equals("r") && raw != null) {
                double r = run.perSecond() / raw.perSecond();
                target = "≥ 0.5 × (c)";
                ratio = String.format("%.2f", r);
                pass = r >= 0.5 ? "pass" : "FAIL";
            }
            t.append(String.format(
                    "| %s | %,d | %.2f | %,.0f | %,.0f | %.4f | %.4f | %.2f | %.2f | %d | %s | %s | %s |%n",
                    LABELS.get(run.row()),
                    run.records(),
                    run.seconds(),
                    run.perSecond(),
                    run.perSecond() / perTask,
                    run.cpuPer1k(),
                    run.brokerCpuPer1k(),
                    run.machineBusyCores(),
                    run.jitShare(),
                    run.warmPasses(),
                    target,
                    ratio,
                    pass));
        }
        Run rollup = median.get("r");
        if (rollup != null) {
            double r = rollup.perSecond() / perTask / worker;
            t.append(String.format(
                    "| (r) in tasks/s vs the worker's no-op throughput (%,.0f tasks/s, README) | | | | %,.0f | | | | | |"
                            + " ≥ 2 × worker | %.2f | %s |%n",
                    worker, rollup.perSecond() / perTask, r, r >= 2 ? "pass" : "FAIL"));
        }
        t.append("\nAll rounds (records/s): ");
        runs.forEach((row, list) -> t.append(row)
                .append(" ")
                .append(list.stream()
                        .map(x -> String.format("%,.0f", x.perSecond()))
                        .toList())
                .append("; "));
        return t.toString().trim();
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
