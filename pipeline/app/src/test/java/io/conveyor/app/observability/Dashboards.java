package io.conveyor.app.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Conveyor's Grafana dashboards and Prometheus rule files as the tests read them: panels with their
 * PromQL targets, template variables, and Grafana's variable substitution.
 */
public final class Dashboards {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*(\\w+)\\s*\\)\\s*$");

    private Dashboards() {}

    /** One dashboard file. */
    public record Dashboard(
            Path file, JsonNode json, String uid, String title, List<Variable> variables, List<Panel> panels) {}

    /** A template variable: its type, query (for query variables) and what Grafana substitutes by default. */
    public record Variable(
            String name, String type, String query, boolean includeAll, String allValue, String current) {
        /** Grafana's value for the saved selection: the All value, the saved value, or null (take the first). */
        public String defaultValue() {
            if (includeAll && (current == null || current.equals("$__all"))) {
                return allValue == null ? ".*" : allValue;
            }
            return current;
        }
    }

    /** A panel (not a row) with its queries. */
    public record Panel(int id, String title, String type, String datasourceUid, List<Target> targets) {}

    /** One query of a panel. */
    public record Target(String refId, String expr, String datasourceUid) {}

    /** A label_values(selector, label) variable query. */
    public record LabelValues(String selector, String label) {}

    /** The repository's root, found from the working directory (a module folder when Maven runs tests). */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("infra/deploy"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "no infra/deploy above " + Path.of("").toAbsolutePath() + "; run the tests inside the repository");
        }
        return dir;
    }

    public static Path dashboardsDir() {
        return repositoryRoot().resolve("infra/deploy/grafana/dashboards");
    }

    public static Path rulesDir() {
        return repositoryRoot().resolve("infra/deploy/prometheus/rules");
    }

    /** Every dashboard, in file name order. */
    public static List<Dashboard> load() {
        try (Stream<Path> files = Files.list(dashboardsDir())) {
            return files.filter(f -> f.toString().endsWith(".json"))
                    .sorted()
                    .map(Dashboards::load)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Dashboard load(Path file) {
        try {
            JsonNode json = JSON.readTree(file.toFile());
            List<Variable> variables = new ArrayList<>();
            for (JsonNode v : json.path("templating").path("list")) {
                JsonNode query = v.path("query");
                String text = query.isObject() ? query.path("query").asText() : query.asText();
                JsonNode value = v.path("current").path("value");
                String current = value.isArray()
                        ? (value.isEmpty() ? null : value.get(0).asText())
                        : (value.isMissingNode() || value.isNull() ? null : value.asText());
                variables.add(new Variable(
                        v.path("name").asText(),
                        v.path("type").asText(),
                        text,
                        v.path("includeAll").asBoolean(false),
                        v.hasNonNull("allValue") ? v.get("allValue").asText() : null,
                        current));
            }
            List<Panel> panels = new ArrayList<>();
            collectPanels(json.path("panels"), panels);
            return new Dashboard(
                    file, json, json.path("uid").asText(), json.path("title").asText(), variables, panels);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dashboard " + file, e);
        }
    }

    private static void collectPanels(JsonNode list, List<Panel> out) {
        for (JsonNode p : list) {
            if (p.path("type").asText().equals("row")) {
                collectPanels(p.path("panels"), out); // a collapsed row holds its panels
                continue;
            }
            List<Target> targets = new ArrayList<>();
            for (JsonNode t : p.path("targets")) {
                targets.add(new Target(
                        t.path("refId").asText(),
                        t.path("expr").asText(),
                        t.path("datasource").path("uid").asText()));
            }
            out.add(new Panel(
                    p.path("id").asInt(),
                    p.path("title").asText(),
                    p.path("type").asText(),
                    p.path("datasource").path("uid").asText(),
                    targets));
        }
    }

    /** Parses a {@code label_values(selector, label)} variable query; null if it is not one. */
    public static LabelValues labelValues(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        return m.matches() ? new LabelValues(m.group(1).trim(), m.group(2)) : null;
    }

    /**
     * Substitutes {@code $name}, {@code ${name}} and {@code [[name]]} as Grafana does, from
     * {@code values}; throws naming the first variable that has no value.
     */
    public static String substitute(String text, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            if (value == null) {
                throw new IllegalArgumentException("no value for variable $" + name + " in: " + text);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static final Set<String> NOT_METRICS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "and",
            "or",
            "unless",
            "bool",
            "offset",
            "inf",
            "nan",
            "Inf",
            "NaN");

    /** The metric names a PromQL expression selects (recording rule names included). */
    public static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges and subqueries
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\()?")
                .matcher(s);
        while (m.find()) {
            String name = m.group(1);
            if (m.group(2) == null && !NOT_METRICS.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** The rule files of infra/deploy/prometheus/rules. */
    public static List<Path> ruleFiles() {
        try (Stream<Path> files = Files.list(rulesDir())) {
            return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names of the alert and recording rules declared in the rule files (read as text). */
    public static List<String> declaredRules() {
        Pattern rule = Pattern.compile("^\\s*-\\s*(alert|record):\\s*(\\S+)\\s*$");
        List<String> names = new ArrayList<>();
        for (Path f : ruleFiles()) {
            try {
                for (String line : Files.readAllLines(f)) {
                    Matcher m = rule.matcher(line);
                    if (m.matches()) {
                        names.add(m.group(2));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names;
    }

    /** The PromQL expressions of the rule files (read as text; each rule's {@code expr}). */
    public static String ruleText() {
        StringBuilder all = new StringBuilder();
        for (Path f : ruleFiles()) {
            try {
                all.append(Files.readString(f)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all.toString();
    }
}
