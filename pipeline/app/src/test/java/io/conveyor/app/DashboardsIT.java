package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.app.observability.Dashboards;
import io.conveyor.app.observability.LiveCheck;
import io.conveyor.app.observability.PrometheusServer;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Priority;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof against live data: the whole pipeline in-process (as {@code conveyor run} assembles it)
 * under a small mixed load, a real Prometheus scraping it every second with Conveyor's rule files,
 * and then every PromQL expression of every dashboard panel, every variable query and every rule
 * evaluated through Prometheus's HTTP API. A panel that would show "No data" fails the test.
 *
 * <p>Needs the {@code prometheus} binary (Debian's package; or {@code CONVEYOR_PROMETHEUS}); skipped
 * without it. {@code .ci/observability} installs it and runs this test.
 *
 * <p>Threads: the test thread drives the checks; one virtual thread ({@code conveyor-test-load})
 * submits the load until the test stops it.
 */
@ExtendWith(KafkaBrokerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardsIT {
    private static final Duration SCRAPE = Duration.ofSeconds(1);
    /** Long enough for a 10 s rollup window plus its grace to close a few times. */
    private static final Duration DATA_DEADLINE = Duration.ofSeconds(120);

    private final HttpClient http = HttpClient.newHttpClient();
    private final Node node = new Node();
    private final CountDownLatch stopLoad = new CountDownLatch(1);
    private final List<String> loadErrors = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<Integer, Integer> answers = new java.util.concurrent.ConcurrentHashMap<>();
    private ConveyorConfig config;
    private String base;
    private PrometheusServer prometheus;
    private Thread load;
    private Instant loadStarted;

    @BeforeAll
    void start(KafkaBroker broker, @TempDir Path stateDir, @TempDir Path prometheusDir) throws Exception {
        Path binary = PrometheusServer.binary().orElse(null);
        Assumptions.assumeTrue(
                binary != null,
                "no prometheus binary on the PATH (or in " + PrometheusServer.BINARY_ENV
                        + "); install Debian's prometheus package (.ci/observability does) to run this test");
        config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("dash"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 3)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("workers"))
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.ROLLUP_GRACE_MS, 1_000L)
                .set(ConveyorConfig.ROLLUP_PUNCTUATE_INTERVAL_MS, 500L)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MS, 50L)
                .set(ConveyorConfig.WORKER_RETRY_BACKOFF_MAX_MS, 100L)
                // a small queue, so bursts fill it and the worker pauses its partitions
                .set(ConveyorConfig.WORKER_QUEUE_CAPACITY, 20)
                .set(ConveyorConfig.WORKER_CONCURRENCY, 4)
                // a per-client rate, so the greedy client below gets its 429
                .set(ConveyorConfig.API_RATE_LIMIT_PER_SECOND, 100)
                .set(ConveyorConfig.HTTP_PORT, 0)
                .build();
        ApiServer api = Roles.all(node, config, Metrics.registry(node));
        base = "http://localhost:" + api.port();
        await().atMost(Duration.ofSeconds(60)).until(() -> get("/health/ready").statusCode() == 200);

        prometheus = PrometheusServer.start(
                binary,
                prometheusDir,
                "conveyor",
                List.of("127.0.0.1:" + api.port()),
                SCRAPE,
                List.of(Dashboards.rulesDir().resolve("*.yml")));

        loadStarted = Instant.now();
        oneOffs(broker);
        load = Thread.ofVirtual().name("conveyor-test-load").start(this::load);
    }

    @AfterAll
    void stop() throws Exception {
        stopLoad.countDown();
        if (load != null) {
            load.join(Duration.ofSeconds(10));
        }
        if (prometheus != null) {
            prometheus.close();
        }
        node.close();
    }

    @Test
    void everyPanelShowsLiveDataAndEveryRuleEvaluates() {
        List<Dashboards.Dashboard> dashboards = Dashboards.load();
        List<String> declaredRules = Dashboards.declaredRules();
        int panelQueries = dashboards.stream()
                .flatMap(d -> d.panels().stream())
                .mapToInt(p -> p.targets().size())
                .sum();
        assertThat(dashboards)
                .as("dashboards in %s", Dashboards.dashboardsDir())
                .hasSizeGreaterThanOrEqualTo(3);
        assertThat(declaredRules).as("rules in %s", Dashboards.rulesDir()).isNotEmpty();

        // a few scrapes and rule evaluations before the first look
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> prometheus
                                .query("count_over_time(up{job=\"conveyor\"}[1m]) >= 5", Instant.now())
                                .path("data")
                                .path("result")
                                .size()
                        == 1);

        LiveCheck check = new LiveCheck(prometheus, loadStarted, SCRAPE);
        AtomicReference<List<LiveCheck.Result>> last = new AtomicReference<>(List.of());
        try {
            await().atMost(DATA_DEADLINE.minus(Duration.between(loadStarted, Instant.now())))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofSeconds(3))
                    .until(() -> {
                        List<LiveCheck.Result> results = new ArrayList<>(check.dashboards(dashboards));
                        results.addAll(check.rules(declaredRules));
                        last.set(results);
                        return results.stream().allMatch(LiveCheck.Result::ok);
                    });
        } catch (ConditionTimeoutException e) {
            // reported below, with every failing panel and rule
        }

        List<LiveCheck.Result> results = last.get();
        String report = report(results, panelQueries, declaredRules.size());
        System.out.println(report);
        assertThat(loadErrors).as("errors of the load generator").isEmpty();
        assertThat(results.stream().filter(r -> r.kind().equals("panel")).count())
                .as("panel queries checked")
                .isEqualTo(panelQueries);
        assertThat(results.stream()
                        .filter(r -> r.kind().equals("alert") || r.kind().equals("record"))
                        .count())
                .as("rules checked")
                .isEqualTo(declaredRules.size());
        assertThat(results.stream().filter(r -> !r.ok()).map(LiveCheck.Result::toString))
                .as(report)
                .isEmpty();
    }

    @Test
    void metricsComeAsPrometheusTextOrOpenMetricsOnRequestAndPrometheusScrapesThem() throws Exception {
        HttpResponse<String> text = get("/metrics");
        assertThat(text.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
        HttpResponse<String> open = send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .build());
        assertThat(open.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("application/openmetrics-text"));
        assertThat(open.body()).contains("conveyor_tasks_submitted_total").endsWith("# EOF\n");
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        // Prometheus asks for OpenMetrics first: its target is up and healthy
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(
                                prometheus.get("/api/v1/targets").path("data").path("activeTargets"))
                        .singleElement()
                        .satisfies(t -> assertThat(t.path("health").asText())
                                .as("target %s", t)
                                .isEqualTo("up")));
    }

    private String report(List<LiveCheck.Result> results, int panelQueries, int rules) {
        JsonNode build = prometheus.get("/api/v1/status/buildinfo").path("data");
        Map<String, Long> failed = results.stream()
                .filter(r -> !r.ok())
                .collect(Collectors.groupingBy(LiveCheck.Result::kind, Collectors.counting()));
        StringBuilder out = new StringBuilder()
                .append("\n==== Live-data check: Prometheus ")
                .append(build.path("version").asText())
                .append(" scraping the pipeline every ")
                .append(SCRAPE.toMillis())
                .append(" ms, ")
                .append(Duration.between(loadStarted, Instant.now()).toSeconds())
                .append(" s of load; HTTP answers ")
                .append(new java.util.TreeMap<>(answers))
                .append(" ====\n");
        results.forEach(r -> out.append(r).append('\n'));
        long panelsOk =
                results.stream().filter(r -> r.kind().equals("panel") && r.ok()).count();
        long variablesOk = results.stream()
                .filter(r -> r.kind().equals("variable") && r.ok())
                .count();
        long variables =
                results.stream().filter(r -> r.kind().equals("variable")).count();
        long rulesOk = results.stream()
                .filter(r -> (r.kind().equals("alert") || r.kind().equals("record")) && r.ok())
                .count();
        out.append(String.format(
                "==== %d/%d panel queries show data, %d/%d variables have values, %d/%d rules evaluate on live"
                        + " data; failures by kind %s ====%n",
                panelsOk, panelQueries, variablesOk, variables, rulesOk, rules, failed));
        return out.toString();
    }

    /** What happens once: a client over its rate (429), a bad request, a cancellation, a malformed record. */
    private void oneOffs(KafkaBroker broker) throws Exception {
        StringBuilder greedy = new StringBuilder("[");
        for (int i = 0; i < 150; i++) {
            greedy.append(i == 0 ? "" : ",")
                    .append("{\"type\":\"echo\",\"payload\":{\"n\":")
                    .append(i)
                    .append("}}");
        }
        post("/v1/tasks/batch", greedy.append(']').toString(), "greedy");
        assertThat(post("/v1/tasks", "{\"type\":\"echo\"}", "greedy").statusCode())
                .as("a client that spent more than its rate")
                .isEqualTo(429);
        assertThat(post("/v1/tasks", "{\"type\":\"echo\",\"priority\":\"urgent\"}", "one-off")
                        .statusCode())
                .isEqualTo(400);
        String id = Json.mapper()
                .readTree(post("/v1/tasks", "{\"type\":\"echo\",\"delayMs\":60000}", "one-off")
                        .body())
                .get("id")
                .asText();
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks/" + id))
                                .DELETE()
                                .build())
                        .statusCode())
                .isEqualTo(202);
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> raw = new KafkaProducer<>(props)) {
            raw.send(new ProducerRecord<>(config.topics().tasks(Priority.NORMAL), "this is not a task"))
                    .get();
        }
    }

    /**
     * Rounds of mixed tasks every 200 ms (echo, sleep, cpu, a fail that succeeds on its second
     * attempt, a fail that is dead-lettered), and every 5 s a burst that fills the worker's queue.
     */
    private void load() {
        String mix = """
                [{"type":"echo","priority":"high","payload":{"hello":"world"}},
                 {"type":"sleep","payload":{"ms":30}},
                 {"type":"sleep","priority":"low","payload":{"ms":10}},
                 {"type":"cpu","priority":"low","payload":{"iterations":1000}},
                 {"type":"fail","payload":{"times":1},"maxAttempts":3},
                 {"type":"fail","payload":{"times":9},"maxAttempts":2}]""";
        StringBuilder burst = new StringBuilder("[");
        for (int i = 0; i < 60; i++) {
            burst.append(i == 0 ? "" : ",").append("{\"type\":\"sleep\",\"payload\":{\"ms\":20}}");
        }
        String bursty = burst.append(']').toString();
        try {
            for (int round = 0; !stopLoad.await(200, TimeUnit.MILLISECONDS); round++) {
                post("/v1/tasks/batch", mix, "load-" + round % 10);
                if (round % 25 == 0) {
                    post("/v1/tasks/batch", bursty, "burst");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            loadErrors.add(e.toString());
        }
    }

    private HttpResponse<String> post(String path, String body, String client) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("content-type", "application/json")
                .header("X-API-Key", client)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).build());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        answers.merge(response.statusCode(), 1, Integer::sum);
        return response;
    }
}
