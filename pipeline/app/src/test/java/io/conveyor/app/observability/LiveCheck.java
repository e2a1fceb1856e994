package io.conveyor.app.observability;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates every dashboard panel query, every variable query and every rule through a live
 * Prometheus, as Grafana and Prometheus would, and says which ones show data. Used by one thread.
 */
public final class LiveCheck {
    /** The outcome of one check: what was checked, whether it passed, and why not. */
    public record Result(String kind, String what, String expr, boolean ok, String detail) {
        @Override
        public String toString() {
            return String.format(
                    "%-5s %-8s %s%s",
                    ok ? "OK" : "FAIL",
                    kind,
                    what,
                    ok ? "  (" + detail + ")" : "\n        " + detail + "\n        " + expr);
        }
    }

    private final PrometheusServer prometheus;
    private final Instant from;
    private final Duration scrapeInterval;

    /**
     * @param from the start of the time range the panels draw (when the load started)
     * @param scrapeInterval Prometheus's scrape interval: Grafana's {@code $__rate_interval} is four
     *     of it for a short range
     */
    public LiveCheck(PrometheusServer prometheus, Instant from, Duration scrapeInterval) {
        this.prometheus = prometheus;
        this.from = from;
        this.scrapeInterval = scrapeInterval;
    }

    /** Checks every variable and panel query of every dashboard. */
    public List<Result> dashboards(List<Dashboards.Dashboard> dashboards) {
        List<Result> results = new ArrayList<>();
        Instant now = Instant.now();
        for (Dashboards.Dashboard d : dashboards) {
            Map<String, String> values = new HashMap<>();
            values.put("__rate_interval", 4 * scrapeInterval.toMillis() + "ms");
            for (Dashboards.Variable v : d.variables()) {
                if (v.type().equals("datasource")) {
                    values.put(v.name(), "prometheus");
                    continue;
                }
                results.add(variable(d, v, values, now));
            }
            for (Dashboards.Panel p : d.panels()) {
                for (Dashboards.Target t : p.targets()) {
                    String what = d.uid() + " / " + p.title() + " / " + t.refId();
                    results.add(panelQuery(what, t.expr(), values, now));
                }
            }
        }
        return results;
    }

    private Result variable(Dashboards.Dashboard d, Dashboards.Variable v, Map<String, String> values, Instant now) {
        String what = d.uid() + " / $" + v.name();
        Dashboards.LabelValues lv = Dashboards.labelValues(v.query());
        if (!v.type().equals("query") || lv == null) {
            return new Result("variable", what, v.query(), false, "not a label_values(selector, label) query variable");
        }
        String selector;
        try {
            selector = Dashboards.substitute(lv.selector(), values);
        } catch (IllegalArgumentException e) {
            return new Result("variable", what, v.query(), false, e.getMessage());
        }
        JsonNode answer = prometheus.labelValues(lv.label(), selector, from, now);
        List<String> found = new ArrayList<>();
        answer.path("data").forEach(n -> found.add(n.asText()));
        String value = v.defaultValue() != null ? v.defaultValue() : found.isEmpty() ? null : found.getFirst();
        if (value != null) {
            values.put(v.name(), value);
        }
        if (!"success".equals(answer.path("status").asText())) {
            return new Result(
                    "variable",
                    what,
                    selector,
                    false,
                    "error: " + answer.path("error").asText());
        }
        if (found.isEmpty()) {
            return new Result("variable", what, selector, false, "no values: the drop-down would be empty");
        }
        if (v.defaultValue() != null && !v.includeAll() && !found.contains(value)) {
            return new Result("variable", what, selector, false, "saved value " + value + " is not among " + found);
        }
        return new Result("variable", what, selector, true, found.size() + " values, using " + value);
    }

    private Result panelQuery(String what, String raw, Map<String, String> values, Instant now) {
        String expr;
        try {
            expr = Dashboards.substitute(raw, values);
        } catch (IllegalArgumentException e) {
            return new Result("panel", what, raw, false, e.getMessage());
        }
        JsonNode instant = prometheus.query(expr, now);
        if (!"success".equals(instant.path("status").asText())) {
            return new Result(
                    "panel",
                    what,
                    expr,
                    false,
                    "error: " + instant.path("error").asText());
        }
        String missing = missingMetrics(expr, now);
        if (missing != null) {
            return new Result("panel", what, expr, false, missing);
        }
        JsonNode range = prometheus.queryRange(expr, from, now, scrapeInterval);
        if (!"success".equals(range.path("status").asText())) {
            return new Result(
                    "panel", what, expr, false, "error: " + range.path("error").asText());
        }
        int series = 0;
        int points = 0;
        for (JsonNode s : range.path("data").path("result")) {
            boolean any = false;
            for (JsonNode point : s.path("values")) {
                if (!point.get(1).asText().equals("NaN")) {
                    points++;
                    any = true;
                }
            }
            series += any ? 1 : 0;
        }
        if (series == 0) {
            return new Result(
                    "panel",
                    what,
                    expr,
                    false,
                    range.path("data").path("result").isEmpty()
                            ? "No data: the query returns no series"
                            : "No data: every value is NaN");
        }
        return new Result("panel", what, expr, true, series + " series, " + points + " points");
    }

    /** Names a metric of {@code expr} that Prometheus has never seen, or null if it has them all. */
    private String missingMetrics(String expr, Instant now) {
        Set<String> names = Dashboards.metricNames(expr);
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            JsonNode series = prometheus.series(name, from.minusSeconds(60), now);
            if (series.path("data").isEmpty()) {
                missing.add(name);
            }
        }
        return missing.isEmpty() ? null : "metric(s) not scraped: " + missing;
    }

    /**
     * Checks every rule Prometheus loaded from the rule files: evaluated without error, its query
     * parses through the HTTP API, and every metric it reads has been scraped. Rules declared in
     * the files but not loaded fail too.
     */
    public List<Result> rules(List<String> declared) {
        List<Result> results = new ArrayList<>();
        Instant now = Instant.now();
        List<String> loaded = new ArrayList<>();
        for (JsonNode group : prometheus.rules().path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("name").asText();
                loaded.add(name);
                String kind = rule.path("type").asText().equals("alerting") ? "alert" : "record";
                String what = group.path("name").asText() + " / " + name;
                String expr = rule.path("query").asText();
                if (!"ok".equals(rule.path("health").asText())) {
                    results.add(new Result(
                            kind,
                            what,
                            expr,
                            false,
                            "health " + rule.path("health").asText() + ": "
                                    + rule.path("lastError").asText()));
                    continue;
                }
                JsonNode answer = prometheus.query(expr, now);
                if (!"success".equals(answer.path("status").asText())) {
                    results.add(new Result(
                            kind,
                            what,
                            expr,
                            false,
                            "error: " + answer.path("error").asText()));
                    continue;
                }
                String missing = missingMetrics(expr, now);
                if (missing != null) {
                    results.add(new Result(kind, what, expr, false, missing));
                    continue;
                }
                String state =
                        kind.equals("alert") ? ", state " + rule.path("state").asText() : "";
                results.add(new Result(
                        kind,
                        what,
                        expr,
                        true,
                        "evaluated " + rule.path("lastEvaluation").asText() + ", "
                                + answer.path("data").path("result").size() + " series now" + state));
            }
        }
        for (String name : declared) {
            if (!loaded.contains(name)) {
                results.add(new Result("rule", name, "", false, "declared in the rule files but not loaded"));
            }
        }
        return results;
    }
}
