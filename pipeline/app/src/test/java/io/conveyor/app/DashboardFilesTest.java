package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.app.observability.Dashboards;
import io.conveyor.core.MeterSpec;
import io.conveyor.core.Meters;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and rule files without a Prometheus: what Grafana needs to provision them, and
 * every Conveyor metric they name comes from the catalogue ({@link Meters}). DashboardsIT proves
 * them against live data.
 */
class DashboardFilesTest {
    private final List<Dashboards.Dashboard> dashboards = Dashboards.load();

    @Test
    void thereAreTheThreeDashboardsWithFixedUids() {
        assertThat(dashboards)
                .extracting(Dashboards.Dashboard::uid)
                .containsExactlyInAnyOrder("conveyor-overview", "conveyor-workers", "conveyor-kafka-jvm");
    }

    @Test
    void everyDashboardIsProvisionableAndPicksItsDataSourceAndInstance() {
        for (Dashboards.Dashboard d : dashboards) {
            String name = d.file().getFileName().toString();
            assertThat(d.json().path("schemaVersion").asInt())
                    .as(name + " schemaVersion")
                    .isGreaterThanOrEqualTo(39);
            assertThat(d.json().path("id").isNull())
                    .as(name + ": id must be null in a provisioned file")
                    .isTrue();
            assertThat(d.title()).as(name + " title").startsWith("Conveyor / ");
            assertThat(d.variables())
                    .as(name + " has a datasource variable of type datasource for Prometheus")
                    .anySatisfy(v -> {
                        assertThat(v.name()).isEqualTo("datasource");
                        assertThat(v.type()).isEqualTo("datasource");
                        assertThat(v.query()).isEqualTo("prometheus");
                    });
            assertThat(d.variables())
                    .extracting(Dashboards.Variable::name)
                    .as(name)
                    .contains("instance");
            for (Dashboards.Variable v : d.variables()) {
                if (v.type().equals("query")) {
                    assertThat(Dashboards.labelValues(v.query()))
                            .as(name + " $" + v.name() + " is a label_values(selector, label) query")
                            .isNotNull();
                }
            }
        }
        assertThat(dashboards.stream().filter(d -> !d.uid().equals("conveyor-kafka-jvm")))
                .allSatisfy(d -> assertThat(d.variables())
                        .extracting(Dashboards.Variable::name)
                        .contains("type"));
    }

    @Test
    void everyPanelQueriesTheChosenDataSourceWithPromQl() {
        for (Dashboards.Dashboard d : dashboards) {
            Set<Integer> ids = new HashSet<>();
            for (Dashboards.Panel p : d.panels()) {
                String what = d.uid() + " / " + p.title();
                assertThat(ids.add(p.id())).as(what + ": panel ids are unique").isTrue();
                assertThat(p.datasourceUid()).as(what).isEqualTo("${datasource}");
                assertThat(p.targets()).as(what + " has queries").isNotEmpty();
                for (Dashboards.Target t : p.targets()) {
                    assertThat(t.datasourceUid()).as(what + " " + t.refId()).isEqualTo("${datasource}");
                    assertThat(t.expr()).as(what + " " + t.refId()).isNotBlank();
                }
            }
        }
    }

    @Test
    void everyConveyorMetricTheDashboardsAndRulesNameIsInTheCatalogue() {
        Set<String> catalogue = new TreeSet<>();
        for (MeterSpec spec : Meters.ALL) {
            String name = spec.prometheusName();
            catalogue.add(name);
            if (spec.type() == MeterSpec.Type.TIMER || spec.type() == MeterSpec.Type.DISTRIBUTION) {
                for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
                    catalogue.add(name + suffix);
                }
            }
        }
        Set<String> used = new TreeSet<>();
        dashboards.forEach(d ->
                d.panels().forEach(p -> p.targets().forEach(t -> used.addAll(Dashboards.metricNames(t.expr())))));
        dashboards.forEach(d -> d.variables().forEach(v -> used.addAll(Dashboards.metricNames(v.query()))));
        for (String line : Dashboards.ruleText().split("\n")) {
            used.addAll(Dashboards.metricNames(line.replaceFirst("^\\s*(expr:|- record:)", "")));
        }
        assertThat(used.stream().filter(n -> n.startsWith("conveyor_")))
                .as("Conveyor metrics used by the dashboards and rules")
                .isNotEmpty()
                .allSatisfy(n -> assertThat(catalogue).as("the catalogue").contains(n));
    }

    @Test
    void queriesAreReadAsGrafanaAndPrometheusReadThem() {
        assertThat(
                        Dashboards.metricNames(
                                "histogram_quantile(0.99, sum by (le, type) (rate("
                                        + "conveyor_task_run_seconds_bucket{instance=~\"$instance\",type=~\"a|b\"}[$__rate_interval])))"))
                .containsExactly("conveyor_task_run_seconds_bucket");
        assertThat(Dashboards.metricNames("(sum(rate(conveyor_tasks_completed_total{status=\"FAILED\"}[5m])) or"
                        + " vector(0)) / sum(rate(conveyor_tasks_completed_total[5m]))"))
                .containsExactly("conveyor_tasks_completed_total");
        assertThat(Dashboards.metricNames("min_over_time(conveyor:worker_lag_records:sum[10m]) > 0 unless on (job)"
                        + " sum by (job) (increase(conveyor_task_run_seconds_count[10m])) > 0"))
                .containsExactly("conveyor:worker_lag_records:sum", "conveyor_task_run_seconds_count");
        assertThat(Dashboards.substitute(
                        "rate(x{instance=~\"$instance\",w=\"${window}\"}[$__rate_interval])",
                        java.util.Map.of("instance", ".*", "window", "10s", "__rate_interval", "4000ms")))
                .isEqualTo("rate(x{instance=~\".*\",w=\"10s\"}[4000ms])");
        assertThat(Dashboards.labelValues("label_values(up{job=~\"conveyor.*\"}, instance)"))
                .isEqualTo(new Dashboards.LabelValues("up{job=~\"conveyor.*\"}", "instance"));
    }

    @Test
    void theReadmeDescribesEveryDashboardAndAlert() throws IOException {
        String readme = Files.readString(Dashboards.repositoryRoot().resolve("README.md"));
        assertThat(readme.contains("## Dashboards and alerts"))
                .as("README has a section ## Dashboards and alerts")
                .isTrue();
        String section = readme.substring(readme.indexOf("## Dashboards and alerts"));
        for (Dashboards.Dashboard d : dashboards) {
            assertThat(section.contains(d.title()))
                    .as("README's dashboards section names " + d.title())
                    .isTrue();
        }
        try (Stream<String> alerts = Dashboards.ruleText()
                .lines()
                .filter(l -> l.trim().startsWith("- alert:"))
                .map(l -> l.trim().substring("- alert:".length()).trim())) {
            alerts.forEach(
                    a -> assertThat(section).as("README describes alert " + a).contains("`" + a + "`"));
        }
    }
}
