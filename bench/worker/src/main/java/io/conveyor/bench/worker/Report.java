package io.conveyor.bench.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the rows into the markdown tables: the targets, then where the CPU went. */
final class Report {
    private static final double LITTLE_BOUND = 1000.0 / (Workload.SLEEP_MS / 1000.0);

    private final Map<String, RowResult> rows;
    private final int concurrency;

    Report(Map<String, RowResult> rows, int concurrency) {
        this.rows = rows;
        this.concurrency = concurrency;
    }

    String render() {
        List<String> lines = new ArrayList<>();
        lines.add("| row | tasks | seconds | tasks/s | CPU s per 1k tasks | target | ratio vs target | pass |");
        lines.add("|---|---:|---:|---:|---:|---|---|---|");
        for (RowResult r : rows.values()) {
            Verdict v = verdict(r);
            if (r.id().equals("e")) {
                lines.add(String.format(
                        Locale.ROOT,
                        "| %s | %,d handled of %,d produced | %.1f | %,.0f (fed %,d/s) | %.3f | %s | %s | %s |",
                        r.label(),
                        r.tasks(),
                        Long.parseLong(r.field("produced")),
                        r.seconds(),
                        r.tasksPerSecond(),
                        Long.parseLong(r.field("produceRate")),
                        r.cpuPerThousand(),
                        v.target(),
                        v.ratio(),
                        v.pass()));
            } else {
                lines.add(String.format(
                        Locale.ROOT,
                        "| %s | %,d | %.2f | %,.0f | %.3f | %s | %s | %s |",
                        r.label(),
                        r.tasks(),
                        r.seconds(),
                        r.tasksPerSecond(),
                        r.cpuPerThousand(),
                        v.target(),
                        v.ratio(),
                        v.pass()));
            }
        }
        lines.add("");
        lines.add("| row | rounds | tasks/s (min–max) | CPU s per 1k (min–max) | subject CPU (cores)"
                + " | broker CPU s per 1k tasks | machine busy (cores of " + RowResult.cores()
                + ") | everything else (cores) | all offsets committed |");
        lines.add("|---|---:|---|---|---:|---:|---:|---:|---|");
        for (RowResult r : rows.values()) {
            lines.add(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %.2f | %.3f | %.2f | %.2f | %s |",
                    r.label(),
                    r.fields().get("rounds"),
                    r.fields().get("tpsRange"),
                    r.fields().get("cpuRange"),
                    r.cpuSeconds() / r.seconds(),
                    r.brokerCpuPerThousand(),
                    r.machineBusyCores(),
                    r.otherCores(),
                    r.fields().getOrDefault("committed", "n/a")));
        }
        return String.join("\n", lines);
    }

    private record Verdict(String target, String ratio, String pass) {}

    private Verdict verdict(RowResult r) {
        return switch (r.id()) {
            case "a" -> new Verdict("ceiling", "1.00", "—");
            case "b" -> ratio("≥ 0.7 × (a)", tps("b"), 0.7 * tps("a"));
            case "c" ->
                ratio(
                        String.format(Locale.ROOT, "≥ 0.85 × %,.0f (Little)", LITTLE_BOUND * concurrency / 1000),
                        tps("c"),
                        0.85 * LITTLE_BOUND * concurrency / 1000);
            case "d-noop" -> ratio("(b) ≥ 1.5 × this", tps("b"), 1.5 * tps("d-noop"));
            case "d-sleep" -> sleepVersusParallelConsumer();
            case "e" -> overload(r);
            default -> new Verdict("?", "?", "?");
        };
    }

    private Verdict sleepVersusParallelConsumer() {
        if (!rows.containsKey("c") || !rows.containsKey("d-sleep")) {
            return new Verdict("(c) ≥ this at ≤ 0.6× CPU", "n/a", "n/a");
        }
        double speed = tps("c") / tps("d-sleep");
        double cpu = rows.get("c").cpuPerThousand() / rows.get("d-sleep").cpuPerThousand();
        boolean pass = speed >= 1 && cpu <= 0.6;
        return new Verdict(
                "(c) ≥ this at ≤ 0.6× CPU",
                String.format(Locale.ROOT, "(c)/this: %.2f× tasks/s, %.2f× CPU", speed, cpu),
                pass ? "pass" : "FAIL");
    }

    private static Verdict overload(RowResult r) {
        int depth = Integer.parseInt(r.field("maxDepth"));
        int capacity = Integer.parseInt(r.field("capacity"));
        double idle = Double.parseDouble(r.field("idleHeapMiB"));
        double max = Double.parseDouble(r.field("maxHeapMiB"));
        double heap = max / idle;
        double perRecord = (max - idle) * 1024 / Math.max(1, depth);
        long pauses = Long.parseLong(r.field("pauses"));
        long resumes = Long.parseLong(r.field("resumes"));
        long revoked = Long.parseLong(r.field("revoked")) + Long.parseLong(r.field("lost"));
        boolean pass = depth <= capacity && heap <= 2 && pauses > 0 && resumes > 0 && revoked == 0;
        return new Verdict(
                "depth ≤ capacity, heap ≤ 2× idle, paused and resumed, 0 rebalances",
                String.format(
                        Locale.ROOT,
                        "max depth %,d / %,d; heap after GC %s / %s MiB idle = %.2f× (≈ %.1f KiB per held"
                                + " record; every 5 s: %s); %d pauses, %d resumes; %d revoked/lost",
                        depth,
                        capacity,
                        r.field("maxHeapMiB"),
                        r.field("idleHeapMiB"),
                        heap,
                        perRecord,
                        r.field("heapEvery5sMiB"),
                        pauses,
                        resumes,
                        revoked),
                pass ? "pass" : "FAIL");
    }

    private Verdict ratio(String target, double value, double bound) {
        if (Double.isNaN(value) || Double.isNaN(bound)) {
            return new Verdict(target, "n/a", "n/a");
        }
        double ratio = value / bound;
        return new Verdict(target, String.format(Locale.ROOT, "%.2f", ratio), ratio >= 1 ? "pass" : "FAIL");
    }

    private double tps(String id) {
        RowResult r = rows.get(id);
        return r == null ? Double.NaN : r.tasksPerSecond();
    }
}
