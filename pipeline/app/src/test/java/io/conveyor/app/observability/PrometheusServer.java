package io.conveyor.app.observability;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Prometheus (the {@code prometheus} binary, e.g. Debian's package) started for a test: its
 * own free port, configuration and storage folder, scraping the given targets and loading the
 * given rule files; and a client for its HTTP API. The test thread owns it; {@link #close()} stops
 * the process.
 */
public final class PrometheusServer implements AutoCloseable {
    /** Environment variable naming the binary; else {@code prometheus} on the PATH. */
    public static final String BINARY_ENV = "CONVEYOR_PROMETHEUS";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, Path log, String base) {
        this.process = process;
        this.log = log;
        this.base = base;
    }

    /** The Prometheus binary: {@value #BINARY_ENV}, else {@code prometheus} on the PATH. */
    public static Optional<Path> binary() {
        String given = System.getenv(BINARY_ENV);
        if (given != null && !given.isBlank()) {
            return Optional.of(Path.of(given)).filter(Files::isExecutable);
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "prometheus"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /**
     * Starts Prometheus in {@code dir}, scraping {@code targets} (host:port, job {@code job}) every
     * {@code interval}, evaluating the rule files matching {@code ruleGlobs} as often, and waits
     * until it is ready.
     */
    public static PrometheusServer start(
            Path binary, Path dir, String job, List<String> targets, Duration interval, List<Path> ruleGlobs)
            throws IOException {
        int port = freePort();
        String seconds = interval.toMillis() + "ms";
        String config = """
                global:
                  scrape_interval: %s
                  scrape_timeout: %s
                  evaluation_interval: %s
                rule_files:
                %s
                scrape_configs:
                  - job_name: %s
                    metrics_path: /metrics
                    static_configs:
                      - targets: [%s]
                        labels: {role: all}
                """.formatted(
                        seconds,
                        seconds,
                        seconds,
                        ruleGlobs.stream()
                                .map(g -> "  - \"" + g.toAbsolutePath() + "\"")
                                .collect(Collectors.joining("\n")),
                        job,
                        targets.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", ")));
        Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
        Path log = dir.resolve("prometheus.log");
        Process process = new ProcessBuilder(
                        binary.toString(),
                        "--config.file=" + configFile,
                        "--storage.tsdb.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--web.enable-lifecycle")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, log, "http://127.0.0.1:" + port);
        try {
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(server::ready);
        } catch (RuntimeException e) {
            String tail = server.logTail();
            server.close();
            throw new IllegalStateException("Prometheus did not become ready; its log:\n" + tail, e);
        }
        return server;
    }

    private boolean ready() {
        if (!process.isAlive()) {
            throw new IllegalStateException("Prometheus exited with " + process.exitValue() + ":\n" + logTail());
        }
        try {
            return http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/-/ready"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return base;
    }

    /** An instant query at {@code time}: the whole answer ({@code status}, {@code data}, {@code error}). */
    public JsonNode query(String promql, Instant time) {
        return post("/api/v1/query", form("query", promql, "time", seconds(time)));
    }

    /** A range query, as Grafana draws a time series panel. */
    public JsonNode queryRange(String promql, Instant start, Instant end, Duration step) {
        return post(
                "/api/v1/query_range",
                form("query", promql, "start", seconds(start), "end", seconds(end), "step", step.toMillis() + "ms"));
    }

    /** The values of {@code label} on the series matching {@code selector}, as Grafana's label_values(). */
    public JsonNode labelValues(String label, String selector, Instant start, Instant end) {
        return get("/api/v1/label/" + label + "/values?"
                + form("match[]", selector, "start", seconds(start), "end", seconds(end)));
    }

    /** The series matching {@code selector} between {@code start} and {@code end}. */
    public JsonNode series(String selector, Instant start, Instant end) {
        return post("/api/v1/series", form("match[]", selector, "start", seconds(start), "end", seconds(end)));
    }

    /** Every loaded rule group with each rule's health, last error and last evaluation. */
    public JsonNode rules() {
        return get("/api/v1/rules");
    }

    public JsonNode get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).build());
    }

    private JsonNode post(String path, String form) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build());
    }

    private JsonNode send(HttpRequest request) {
        try {
            // 4xx answers (bad_data: the query does not parse) carry a JSON body too
            return JSON.readTree(
                    http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String form(String... keysAndValues) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(URLEncoder.encode(keysAndValues[i], StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(keysAndValues[i + 1], StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    private static String seconds(Instant t) {
        return String.format(java.util.Locale.ROOT, "%.3f", t.toEpochMilli() / 1000.0);
    }

    /** The last lines of Prometheus's own log. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
