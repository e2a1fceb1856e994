package io.conveyor.bench.worker;

import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worker benchmark (bench/worker/run.sh). This JVM runs the embedded broker and pre-loads the
 * tasks; each row runs in a fresh JVM of its own ({@link RowMain}), so the CPU time a row reports
 * is its subject's alone, the broker's is measured here over the same window, and no row inherits
 * another's JIT profile or heap. Arguments are {@code key=value}; see {@link #DEFAULTS}.
 */
public final class BenchMain {
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("rows", "a,b,d-noop,c,d-sleep,e"),
            Map.entry("rounds", "3"),
            Map.entry("tasks", "1000000"),
            Map.entry("sleepTasks", "200000"),
            Map.entry("warmTasks", "50000"),
            Map.entry("concurrency", "1000"),
            Map.entry("overloadConcurrency", "10"),
            Map.entry("overloadSeconds", "30"),
            Map.entry("partitions", "8"),
            Map.entry("rowJvmOptions", "-Xms1g -Xmx1g -XX:+UseG1GC"),
            Map.entry("out", "bench/worker/target/worker-bench.md"));

    private record Row(String id, String label, Subject.Kind kind, Workload workload) {}

    private static final Map<String, Row> ROWS = rows();

    private final Map<String, String> options;

    private BenchMain(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(DEFAULTS);
        Protocol.parseArgs(args).forEach((k, v) -> {
            if (!DEFAULTS.containsKey(k)) {
                throw new IllegalArgumentException("unknown option '" + k + "'; known: " + DEFAULTS.keySet());
            }
            options.put(k, v);
        });
        new BenchMain(options).run();
        System.exit(0);
    }

    private static Map<String, Row> rows() {
        Map<String, Row> rows = new LinkedHashMap<>();
        rows.put("a", new Row("a", "(a) hand-written loop, no-op", Subject.Kind.BASELINE, Workload.NOOP));
        rows.put("b", new Row("b", "(b) Conveyor, no-op", Subject.Kind.CONVEYOR, Workload.NOOP));
        rows.put("c", new Row("c", "(c) Conveyor, sleep 20 ms", Subject.Kind.CONVEYOR, Workload.SLEEP));
        rows.put(
                "d-noop",
                new Row("d-noop", "(d) Parallel Consumer, no-op", Subject.Kind.PARALLEL_CONSUMER, Workload.NOOP));
        rows.put(
                "d-sleep",
                new Row(
                        "d-sleep",
                        "(d) Parallel Consumer, sleep 20 ms",
                        Subject.Kind.PARALLEL_CONSUMER,
                        Workload.SLEEP));
        rows.put("e", new Row("e", "(e) Conveyor, 10× overload", Subject.Kind.CONVEYOR, Workload.SLEEP));
        return rows;
    }

    private void run() throws Exception {
        int partitions = intOption("partitions");
        Map<String, List<RowResult>> runs = new LinkedHashMap<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                        EmbeddedKafkaBroker.Settings.builder().build());
                Preloader preloader = new Preloader(broker.bootstrapServers(), partitions)) {
            log("broker at " + broker.bootstrapServers() + "; rows " + options.get("rows") + ", "
                    + options.get("rounds") + " rounds");
            List<Row> selected = new ArrayList<>();
            for (String id : options.get("rows").split(",")) {
                Row row = ROWS.get(id.trim());
                if (row == null) {
                    throw new IllegalArgumentException("unknown row '" + id + "'; known: " + ROWS.keySet());
                }
                selected.add(row);
            }
            // rounds interleave the rows, so a burst of load from elsewhere hits one round, not one row
            for (int round = 1; round <= intOption("rounds"); round++) {
                for (Row row : selected) {
                    if (round > 1 && row.id().equals("e")) {
                        continue; // the overload row is a 30 s observation, not a throughput figure
                    }
                    log("round " + round + ": " + row.label());
                    runs.computeIfAbsent(row.id(), k -> new ArrayList<>())
                            .add(runRow(row, round, broker.bootstrapServers(), preloader));
                }
            }
        }
        Map<String, RowResult> results = new LinkedHashMap<>();
        runs.forEach((id, list) -> results.put(id, RowResult.median(list)));
        String table = "Worker benchmark: medians of " + options.get("rounds")
                + " interleaved rounds (each row in a fresh JVM, after a warm-up pass of "
                + options.get("warmTasks") + " tasks); CPU is the subject JVM's alone.\n\n"
                + new Report(ordered(results), intOption("concurrency")).render();
        System.out.println();
        System.out.println(table);
        Path out = Path.of(options.get("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, table + "\n");
        log("table written to " + out);
    }

    /** The rows in table order (a, b, c, d, e), whatever order they ran in. */
    private static Map<String, RowResult> ordered(Map<String, RowResult> results) {
        Map<String, RowResult> ordered = new LinkedHashMap<>();
        ROWS.keySet().forEach(id -> {
            if (results.containsKey(id)) {
                ordered.put(id, results.get(id));
            }
        });
        return ordered;
    }

    private RowResult runRow(Row row, int round, String bootstrap, Preloader preloader)
            throws IOException, InterruptedException {
        // fresh names every round: a topic deleted and created again under its old name leaves the
        // pre-loading producer with a stale topic id, and it retries forever
        String prefix = "bench-" + row.id() + round + "-run";
        String warmPrefix = "bench-" + row.id() + round + "-warm";
        List<String> args = new ArrayList<>(
                List.of("bootstrap=" + bootstrap, "partitions=" + options.get("partitions"), "prefix=" + prefix));
        if (row.id().equals("e")) {
            preloader.load(prefix, row.workload(), 0);
            args.addAll(List.of(
                    "mode=overload",
                    "concurrency=" + options.get("overloadConcurrency"),
                    "seconds=" + options.get("overloadSeconds")));
        } else {
            long tasks = Long.parseLong(options.get(row.workload() == Workload.NOOP ? "tasks" : "sleepTasks"));
            log(row.label() + ": pre-loading " + tasks + " tasks (+ " + options.get("warmTasks") + " for warm-up)");
            preloader.load(warmPrefix, row.workload(), Long.parseLong(options.get("warmTasks")));
            preloader.load(prefix, row.workload(), tasks);
            args.addAll(List.of(
                    "mode=throughput",
                    "kind=" + row.kind().name(),
                    "workload=" + row.workload().name(),
                    "concurrency=" + options.get("concurrency"),
                    "warmPrefix=" + warmPrefix,
                    "warmTasks=" + options.get("warmTasks"),
                    "tasks=" + tasks));
        }
        log(row.label() + ": running in its own JVM");
        RowResult result = launch(row, args);
        preloader.delete(prefix);
        preloader.delete(warmPrefix);
        return result;
    }

    private RowResult launch(Row row, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options.get("rowJvmOptions").trim().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RowMain.class.getName()));
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
                boolean measured = !"warmup".equals(fields.get("pass"));
                if ("start".equals(fields.get("mark")) && measured) {
                    start = MachineCpu.now();
                } else if ("end".equals(fields.get("mark")) && measured && start != null) {
                    window = MachineCpu.now().minus(start);
                } else if (!fields.containsKey("mark")) {
                    log(row.label() + ": " + line.substring(Protocol.PREFIX.length()));
                    if (measured) {
                        figures = fields;
                    }
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || figures == null || window == null) {
            throw new IllegalStateException(row.label() + ": its JVM exited with " + exit + " before reporting");
        }
        return new RowResult(row.id(), row.label(), figures, window);
    }

    private int intOption(String key) {
        return Integer.parseInt(options.get(key));
    }

    private static void log(String message) {
        System.err.println("[bench] " + message);
    }
}
