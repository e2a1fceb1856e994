package io.conveyor.bench.rollups;

import io.conveyor.bench.worker.MachineCpu;
import io.conveyor.bench.worker.Preloader;
import io.conveyor.bench.worker.Workload;
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
import java.util.TreeSet;

/**
 * The rollup benchmark (bench/rollups/run.sh). This JVM runs the embedded broker and pre-loads the
 * results topics once (a warm-up set and the measured set); each row runs in a fresh JVM of its own
 * ({@link RowMain}) and reads the same records from scratch, so the CPU time a row reports is its
 * subject's alone and the broker's is measured here over the same window. Rounds interleave the
 * rows; the table shows medians. Arguments are {@code key=value} (see {@link #DEFAULTS}); {@code
 * streams.X=Y} and {@code rollup.X=Y} go to the rollup rows; {@code t.streams.X=Y} and {@code
 * t.rollup.X=Y} to row (t) alone: the rollups with a setting on trial, interleaved with (r) in the
 * same run, since on a shared machine only figures taken side by side compare.
 */
public final class BenchMain {
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("rows", "c,r,w"),
            Map.entry("rounds", "3"),
            Map.entry("tasks", "2000000"),
            Map.entry("warmTasks", "60000"),
            Map.entry("warmJitShare", "0.05"),
            Map.entry("warmSeconds", "15"),
            Map.entry("warmMaxSeconds", "120"),
            Map.entry("partitions", "8"),
            Map.entry("workerTasks", "500000"),
            Map.entry("workerWarmTasks", "1000000"),
            Map.entry("workerConcurrency", "1000"),
            Map.entry("rowJvmOptions", "-Xms1g -Xmx1g -XX:+UseG1GC"),
            // Kafka's own default, which production brokers run with (the embedded broker's 0 is for
            // fast tests): a new group's first assignment waits for its members, so the rollups'
            // two stream threads start with half the partitions each, not one with all of them
            Map.entry("groupInitialRebalanceDelayMs", "3000"),
            Map.entry("out", "bench/rollups/target/rollups-bench.md"));

    private static final Map<String, String> LABELS = Map.ofEntries(
            Map.entry("c", "(c) raw KafkaConsumer, reads and does nothing"),
            Map.entry(
                    "s",
                    "(s) Kafka Streams floor: no-op topology, the rollups' settings (exactly-once, 100 ms commits, a stream thread per core)"),
            Map.entry(
                    "m",
                    "(m) Kafka Streams' default persistent table, for comparison: the latest record per task id as its bytes (source KTable, RocksDB, changelog, record cache), nothing read or merged"),
            Map.entry(
                    "d", "(d) Kafka Streams reading each result as the rollups do (key and JSON value), nothing more"),
            Map.entry("k", "(k) the rollups' status table alone (reading results included), no windows"),
            Map.entry(
                    "n",
                    "(n) the status table alone without its changelog (RocksDB only; a restart would lose it): not a choice, a measure of the changelog"),
            Map.entry(
                    "i",
                    "(i) the status table alone in memory, no changelog (nothing survives a restart): not a choice, the table's own work"),
            Map.entry("r", "(r) rollups: status table + windows, exactly-once"),
            Map.entry("t", "(t) rollups with the settings on trial"),
            Map.entry("a", "(a) the rollups' arrivals alone, over pre-loaded tasks: tasks, not records"),
            Map.entry("w", "(w) Conveyor worker, no-op handler (the worker benchmark's row b): tasks, not records"));

    /**
     * The topics prefix of row (a)'s tasks (the worker benchmark's no-op tasks, as the API writes
     * them); the arrivals write their QUEUED changes to its own results topic, not the one the other
     * rows read.
     */
    private static final String ARRIVALS = "bench-arrivals";

    /** One row's measured pass. */
    record Run(
            String row,
            long records,
            long nanos,
            long cpuNanos,
            long brokerCpuNanos,
            long busyNanos,
            long jitCpuNanos,
            int warmPasses,
            long wholeRecords,
            long wholeNanos) {
        double seconds() {
            return nanos / 1e9;
        }

        /** Over the whole pass, from its first record read until every record was committed. */
        double wholePerSecond() {
            return wholeRecords / (wholeNanos / 1e9);
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

        /** The cores the row's JIT compiler threads kept busy over the window, on average. */
        double jitCores() {
            return jitCpuNanos / (double) nanos;
        }
    }

    private final Map<String, String> options;
    private final Map<String, String> passthrough = new LinkedHashMap<>();
    /** Row (t)'s settings on top of {@link #passthrough}, without their {@code t.} prefix. */
    private final Map<String, String> trial = new LinkedHashMap<>();

    private BenchMain(Map<String, String> given) {
        this.options = new LinkedHashMap<>(DEFAULTS);
        given.forEach((k, v) -> {
            if (k.startsWith("streams.") || k.startsWith("rollup.")) {
                passthrough.put(k, v);
            } else if (k.startsWith("t.streams.") || k.startsWith("t.rollup.")) {
                trial.put(k.substring(2), v);
            } else if (DEFAULTS.containsKey(k)) {
                options.put(k, v);
            } else {
                throw new IllegalArgumentException("unknown option '" + k + "'; known: " + DEFAULTS.keySet()
                        + ", and streams.X / rollup.X for the rollups, t.streams.X / t.rollup.X for row t alone");
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
        List<String> rows = List.of(options.get("rows").split(","));
        for (String row : rows) { // before the broker starts and the pre-load, not rows into the run
            if (!LABELS.containsKey(row)) {
                throw new IllegalArgumentException("unknown row '" + row + "' in rows=" + options.get("rows")
                        + "; known: " + new TreeSet<>(LABELS.keySet()));
            }
        }
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        long records;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                        .override("group.initial.rebalance.delay.ms", options.get("groupInitialRebalanceDelayMs"))
                        .build());
                Preload preload = new Preload(broker.bootstrapServers(), partitions)) {
            log("broker at " + broker.bootstrapServers() + "; pre-loading " + tasks + " tasks (+ "
                    + options.get("warmTasks") + " for warm-up) on " + partitions + " partitions");
            long t = System.nanoTime();
            preload.load("bench-warm", Long.parseLong(options.get("warmTasks")));
            records = preload.load("bench-run", tasks);
            boolean arrivals = rows.contains("a");
            if (arrivals) {
                try (Preloader tasksOnly = new Preloader(broker.bootstrapServers(), partitions)) {
                    tasksOnly.load(ARRIVALS + "-warm", Workload.NOOP, Long.parseLong(options.get("warmTasks")));
                    tasksOnly.load(ARRIVALS + "-run", Workload.NOOP, tasks);
                }
            }
            log(String.format(
                    "pre-loaded %,d results of %,d tasks%s in %.1f s",
                    records, tasks, arrivals ? ", and the tasks of row (a)" : "", (System.nanoTime() - t) / 1e9));
            for (int round = 1; round <= Integer.parseInt(options.get("rounds")); round++) {
                for (String row : rows) {
                    log("round " + round + ": " + LABELS.get(row));
                    Run result = row.equals("w")
                            ? worker(round, broker.bootstrapServers(), partitions)
                            : launch(row, broker.bootstrapServers(), partitions);
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
        String prefix = row.equals("a") ? ARRIVALS : "bench";
        List<String> args = new ArrayList<>(List.of(
                "mode="
                        + switch (row) {
                            case "c" -> "raw";
                            case "s" -> "streams";
                            case "m" -> "dsl-table";
                            case "d" -> "decode";
                            case "k" -> "table";
                            case "n" -> "table-unlogged";
                            case "i" -> "table-memory";
                            case "a" -> "arrivals";
                            default -> "rollup";
                        },
                "bootstrap=" + bootstrap,
                "partitions=" + partitions,
                "prefix=" + prefix + "-run",
                "warmPrefix=" + prefix + "-warm",
                "warmJitShare=" + options.get("warmJitShare"),
                "warmSeconds=" + options.get("warmSeconds"),
                "warmMaxSeconds=" + options.get("warmMaxSeconds")));
        Map<String, String> settings = new LinkedHashMap<>(passthrough);
        if (row.equals("t")) {
            settings.putAll(trial);
        }
        settings.forEach((k, v) -> args.add(k + "=" + v));
        Measured m = measure(row, RowMain.class.getName(), args);
        return new Run(
                row,
                Long.parseLong(m.figures().get("records")),
                Long.parseLong(m.figures().get("nanos")),
                Long.parseLong(m.figures().get("cpuNanos")),
                m.brokerCpuNanos(),
                m.busyNanos(),
                Long.parseLong(m.figures().get("jitCpuNanos")),
                Integer.parseInt(m.figures().get("warmPasses")),
                Long.parseLong(m.figures().get("wholeRecords")),
                Long.parseLong(m.figures().get("wholeNanos")));
    }

    /**
     * Row (w): the worker benchmark's no-op row ({@code io.conveyor.bench.worker.RowMain}, Conveyor's
     * worker with a no-op handler, a warm-up pass then the measured pass) against this broker, on
     * tasks pre-loaded here for the round. Its figures count tasks, not records.
     */
    private Run worker(int round, String bootstrap, int partitions) throws IOException, InterruptedException {
        String prefix = "bench-w" + round + "-run"; // fresh names: a group and a results topic per pass
        String warmPrefix = "bench-w" + round + "-warm";
        long tasks = Long.parseLong(options.get("workerTasks"));
        try (Preloader preloader = new Preloader(bootstrap, partitions)) {
            log("pre-loading " + tasks + " no-op tasks (+ " + options.get("workerWarmTasks") + " for warm-up)");
            preloader.load(warmPrefix, Workload.NOOP, Long.parseLong(options.get("workerWarmTasks")));
            preloader.load(prefix, Workload.NOOP, tasks);
            Measured m = measure(
                    "w",
                    io.conveyor.bench.worker.RowMain.class.getName(),
                    List.of(
                            "mode=throughput",
                            "kind=CONVEYOR",
                            "workload=NOOP",
                            "bootstrap=" + bootstrap,
                            "partitions=" + partitions,
                            "concurrency=" + options.get("workerConcurrency"),
                            "prefix=" + prefix,
                            "warmPrefix=" + warmPrefix,
                            "warmTasks=" + options.get("workerWarmTasks"),
                            "tasks=" + tasks));
            preloader.delete(prefix);
            preloader.delete(warmPrefix);
            if (!Boolean.parseBoolean(m.figures().get("committed"))) {
                throw new IllegalStateException(LABELS.get("w") + ": the worker did not commit every task");
            }
            return new Run(
                    "w",
                    Long.parseLong(m.figures().get("measuredTasks")),
                    (long) (Double.parseDouble(m.figures().get("seconds")) * 1e9),
                    (long) (Double.parseDouble(m.figures().get("cpuSeconds")) * 1e9),
                    m.brokerCpuNanos(),
                    m.busyNanos(),
                    (long) (Double.parseDouble(m.figures().get("jitCpuSeconds")) * 1e9),
                    1,
                    0,
                    0);
        }
    }

    /** A row's figures (its measured pass's line), and the broker's CPU and the machine's over its window. */
    private record Measured(Map<String, String> figures, long brokerCpuNanos, long busyNanos) {}

    /** Runs {@code mainClass} in a fresh JVM and reads its measured pass ({@code pass=run}) from stdout. */
    private Measured measure(String row, String mainClass, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options.get("rowJvmOptions").trim().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        MachineCpu start = null;
        MachineCpu window = null;
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
                    start = MachineCpu.now();
                } else if ("end".equals(fields.get("mark")) && measured && start != null) {
                    window = MachineCpu.now().minus(start);
                } else if (!fields.containsKey("mark") && measured) {
                    figures = fields;
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || figures == null || window == null) {
            throw new IllegalStateException(LABELS.get(row) + ": its JVM exited with " + exit + " before reporting");
        }
        return new Measured(figures, window.brokerNanos(), window.machineBusyNanos());
    }

    private String render(Map<String, List<Run>> runs, long records, long tasks) {
        double perTask = records / (double) tasks;
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
                        + " its JIT settles (a pass with under %.0f%% of its time from its first record on compiling,"
                        + " after %s s at least, %s s at most); Kafka Streams rows measured while all their stream"
                        + " threads process;"
                        + " CPU is the row JVM's alone (the broker's is measured in the orchestrator). Row (w) is"
                        + " the worker benchmark's no-op row on %,d tasks after a warm-up pass over %,d; its"
                        + " figures are per task (records: tasks).%s%n%n",
                records,
                tasks,
                perTask,
                options.get("partitions"),
                runs.values().stream().mapToInt(List::size).max().orElse(0),
                Long.parseLong(options.get("warmTasks")),
                Double.parseDouble(options.get("warmJitShare")) * 100,
                options.get("warmSeconds"),
                options.get("warmMaxSeconds"),
                Long.parseLong(options.get("workerTasks")),
                Long.parseLong(options.get("workerWarmTasks")),
                (passthrough.isEmpty()
                                ? ""
                                : " Settings (streams.X apply to rows s, m, d, k, n, i, r, t and a; rollup.X to r and t): "
                                        + passthrough + ".")
                        + (runs.containsKey("t") ? " Row (t)'s settings on trial: " + trial + "." : "")));
        t.append("| row | records | seconds | records/s | tasks/s | records/s, whole pass | CPU s per 1k records |"
                + " broker CPU s per 1k records | machine busy (cores) | JIT CPU (cores) | warm-up passes | target |"
                + " ratio | pass |\n");
        t.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n");
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
            } else if (List.of("m", "d", "k", "n", "i").contains(run.row()) && raw != null) {
                // parts of (r), and a plain DSL table for comparison: how far each gets on its own
                target = "vs (c)";
                ratio = String.format("%.2f", run.perSecond() / raw.perSecond());
            } else if (run.row().equals("t") && median.containsKey("r")) {
                target = "vs (r)";
                ratio = String.format("%.2f", run.perSecond() / median.get("r").perSecond());
            }
            boolean isWorker = run.row().equals("w");
            boolean countsTasks = isWorker || run.row().equals("a");
            t.append(String.format(
                    "| %s | %,d | %.2f | %s | %,.0f | %s | %.4f | %.4f | %.2f | %.2f | %d | %s | %s | %s |%n",
                    LABELS.get(run.row()),
                    run.records(),
                    run.seconds(),
                    isWorker ? "" : String.format("%,.0f", run.perSecond()), // (a): a record per task
                    countsTasks ? run.perSecond() : run.perSecond() / perTask,
                    isWorker ? "" : String.format("%,.0f", run.wholePerSecond()),
                    run.cpuPer1k(),
                    run.brokerCpuPer1k(),
                    run.machineBusyCores(),
                    run.jitCores(),
                    run.warmPasses(),
                    target,
                    ratio,
                    pass));
        }
        Run rollup = median.get("r");
        Run worker = median.get("w");
        if (rollup != null && worker != null) {
            double r = rollup.perSecond() / perTask / worker.perSecond();
            t.append(String.format(
                    "| (r) in tasks/s vs (w), the worker's no-op throughput in this run | | | | %,.0f | | | | | | |"
                            + " ≥ 2 × (w) | %.2f | %s |%n",
                    rollup.perSecond() / perTask, r, r >= 2 ? "pass" : "FAIL"));
        }
        Run arrivals = median.get("a");
        if (rollup != null && arrivals != null && worker != null) {
            // both use the same cores, so a task costs the time of both: their per-task times add up
            double both = 1 / (perTask / rollup.perSecond() + 1 / arrivals.perSecond());
            double r = both / worker.perSecond();
            t.append(String.format(
                    "| (r) and (a) together: all the rollups do per task (1 / (1/(r) + 1/(a)), in tasks/s) vs (w)"
                            + " | | | | %,.0f | | | | | | | ≥ 2 × (w) | %.2f | %s |%n",
                    both, r, r >= 2 ? "pass" : "FAIL"));
        }
        t.append("\nAll rounds (records/s, and in brackets over the whole pass; (w) and (a): tasks/s): ");
        runs.forEach((row, list) -> t.append(row)
                .append(" ")
                .append(list.stream()
                        .map(x -> x.row().equals("w")
                                ? String.format("%,.0f", x.perSecond())
                                : String.format("%,.0f (%,.0f)", x.perSecond(), x.wholePerSecond()))
                        .toList())
                .append("; "));
        return t.toString().trim();
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
