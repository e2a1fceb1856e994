package io.conveyor.bench.worker;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one row measured: the row JVM's figures ({@code fields}, see {@link ThroughputRow} and
 * {@link OverloadRow}) and the orchestrator's CPU snapshot over the same window.
 */
record RowResult(String id, String label, Map<String, String> fields, MachineCpu window) {

    /**
     * One row's figures over several rounds: the run with the median throughput (its seconds,
     * broker and machine figures), with the CPU per 1,000 tasks replaced by the median over the
     * rounds, and the ranges of both in {@code tpsRange} and {@code cpuRange}.
     */
    static RowResult median(List<RowResult> runs) {
        List<RowResult> bySpeed = runs.stream()
                .sorted(Comparator.comparingDouble(RowResult::tasksPerSecond))
                .toList();
        List<Double> cpu = runs.stream().map(RowResult::cpuPerThousand).sorted().toList();
        RowResult mid = bySpeed.get((runs.size() - 1) / 2);
        double medianCpu = cpu.get((runs.size() - 1) / 2);
        Map<String, String> fields = new LinkedHashMap<>(mid.fields());
        fields.put("cpuSeconds", String.valueOf(medianCpu * mid.tasks() / 1000));
        fields.put("rounds", String.valueOf(runs.size()));
        fields.put(
                "tpsRange",
                String.format(
                        Locale.ROOT,
                        "%,.0f–%,.0f",
                        bySpeed.getFirst().tasksPerSecond(),
                        bySpeed.getLast().tasksPerSecond()));
        fields.put("cpuRange", String.format(Locale.ROOT, "%.3f–%.3f", cpu.getFirst(), cpu.getLast()));
        if (mid.fields().containsKey("committed")) { // throughput rows only
            fields.put(
                    "committed",
                    String.valueOf(
                            runs.stream().allMatch(r -> "true".equals(r.fields().get("committed")))));
        }
        return new RowResult(mid.id(), mid.label(), fields, mid.window());
    }

    long tasks() {
        return Long.parseLong(fields.getOrDefault("measuredTasks", fields.getOrDefault("handled", "0")));
    }

    double seconds() {
        return Double.parseDouble(fields.get("seconds"));
    }

    double tasksPerSecond() {
        return tasks() / seconds();
    }

    double cpuSeconds() {
        return Double.parseDouble(fields.get("cpuSeconds"));
    }

    double cpuPerThousand() {
        return cpuSeconds() * 1000 / tasks();
    }

    double brokerCpuPerThousand() {
        return window.brokerNanos() / 1e9 * 1000 / tasks();
    }

    /** Cores busy on the whole machine during the window (of the cores there are). */
    double machineBusyCores() {
        return window.machineTotalNanos() == 0
                ? Double.NaN
                : window.machineBusyNanos() / (double) window.machineTotalNanos() * cores();
    }

    /** Cores used by everything but the subject and the broker (other builds, the harness). */
    double otherCores() {
        return machineBusyCores() - cpuSeconds() / seconds() - window.brokerNanos() / 1e9 / seconds();
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    String field(String key) {
        return fields.get(key);
    }
}
