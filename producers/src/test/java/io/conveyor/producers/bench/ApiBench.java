package io.conveyor.producers.bench;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import io.conveyor.producers.ApiServer;
import io.conveyor.producers.internal.KafkaSubmitter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;

/**
 * The submission API benchmark (bench/api/run.sh): one embedded broker, one JSON body, wrk with 64
 * connections, and side by side (a) a bare Vert.x endpoint that parses the body and answers 202,
 * (b) {@code POST /v1/tasks}, (c) {@code POST /v1/tasks/batch} with 100 tasks a request, (d) a raw
 * {@code KafkaProducer} with the API's producer settings; then the p99 of (b) at half its peak
 * rate (open loop), and a 10x overload. Prints a markdown table. Single-threaded driver.
 */
public final class ApiBench {
    static final String TASK = "{\"type\":\"echo\",\"payload\":{\"user\":42,\"action\":\"resize\","
            + "\"image\":\"s3://bucket/photos/2026/11/23/abc.jpg\",\"sizes\":[64,128,256]},"
            + "\"priority\":\"normal\",\"maxAttempts\":3}";
    static final int BATCH = 100;
    static final int CONNECTIONS = 64;

    private ApiBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("bench.seconds", 10);
        Path dir = Files.createTempDirectory("conveyor-bench");
        Path single = lua(dir, "single.lua", TASK, false);
        String batchBody = "[" + String.join(",", java.util.Collections.nCopies(BATCH, TASK)) + "]";
        Path batch = lua(dir, "batch.lua", batchBody, false);
        Path batchCounting = lua(dir, "batch-status.lua", batchBody, true);

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            ConveyorConfig config = ConveyorConfig.builder()
                    .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .set(ConveyorConfig.HTTP_HOST, "127.0.0.1")
                    .set(ConveyorConfig.HTTP_PORT, 0)
                    .set(ConveyorConfig.TOPICS_PREFIX, "bench")
                    .build();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                new TopicProvisioner(admin, Duration.ofSeconds(30))
                        .ensure(config.topics().all());
            }
            Vertx bareVertx = Vertx.vertx();
            HttpServer bare = bareEndpoint(bareVertx);
            try (ApiServer api = ApiServer.builder(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                    .acceptTasks()
                    .start()) {
                String bareUrl = "http://127.0.0.1:" + bare.actualPort() + "/v1/tasks";
                String tasksUrl = "http://127.0.0.1:" + api.port() + "/v1/tasks";
                String batchUrl = tasksUrl + "/batch";
                log("warming up");
                wrk(single, bareUrl, CONNECTIONS, 3);
                wrk(single, tasksUrl, CONNECTIONS, 3);
                wrk(batch, batchUrl, CONNECTIONS, 3);
                RawProducer.run(config, TASK, 2);

                log("(a) bare Vert.x");
                Wrk a = wrk(single, bareUrl, CONNECTIONS, seconds);
                log("(b) POST /v1/tasks");
                Wrk b = wrk(single, tasksUrl, CONNECTIONS, seconds);
                // the latency of (b) right after its peak, and again after the bulk phases have
                // written some 2 GB to the broker's log: while the disk takes that, answers stall
                log("p99 of (b) at half its peak");
                OpenLoop.Result half = OpenLoop.runInOwnJvm(api.port(), b.rps / 2, seconds);
                // (c) and its ceiling (d) interleave: (d) moves from run to run by more than (c)
                int rounds = Integer.getInteger("bench.rounds", 3);
                List<Wrk> cs = new ArrayList<>();
                List<Double> ds = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    log("(c) POST /v1/tasks/batch, round " + round);
                    cs.add(wrk(batch, batchUrl, CONNECTIONS, seconds));
                    log("(d) raw KafkaProducer, round " + round);
                    ds.add(RawProducer.run(config, TASK, seconds));
                }
                Wrk c = cs.stream()
                        .sorted(java.util.Comparator.comparingDouble(Wrk::rps))
                        .toList()
                        .get(rounds / 2);
                double d = ds.stream().sorted().toList().get(rounds / 2);
                log("p99 of (b) at half its peak, after (c) and (d)");
                OpenLoop.Result halfAfterBulk = OpenLoop.runInOwnJvm(api.port(), b.rps / 2, seconds);

                log("10x overload");
                long idle = heapAfterGc();
                AtomicLong peakHeap = new AtomicLong();
                Thread sampler = Thread.ofPlatform().name("bench-heap").start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peakHeap.accumulateAndGet(heapAfterGc(), Math::max);
                        try {
                            Thread.sleep(1_000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                Wrk overload = wrk(batchCounting, batchUrl, 10 * CONNECTIONS, seconds);
                sampler.interrupt();
                sampler.join();

                print(a, b, c, d, cs, ds, half, halfAfterBulk, overload, idle, peakHeap.get());
            } finally {
                bareVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** (a): the same parse as the API (streaming, submission fields) and a 202 with a fresh id, no Kafka. */
    private static HttpServer bareEndpoint(Vertx vertx) throws Exception {
        TaskCodec codec = new TaskCodec();
        Router router = Router.router(vertx);
        router.post("/v1/tasks").handler(BodyHandler.create(false)).handler(ctx -> {
            try {
                var task = codec.readSubmission(
                        ctx.body().buffer().getBytes(), 0, ctx.body().length());
                ctx.response()
                        .setStatusCode(202)
                        .putHeader("content-type", "application/json")
                        .end("{\"id\":\"" + task.id() + "\",\"status\":\"QUEUED\"}");
            } catch (MalformedTaskException e) {
                ctx.response().setStatusCode(400).end();
            }
        });
        return vertx.createHttpServer()
                .requestHandler(router)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    record Wrk(double rps, long requests, long non2xx, String socketErrors, Map<Integer, Long> statuses) {}

    private static Wrk wrk(Path script, String url, int connections, int seconds) throws Exception {
        Process p = new ProcessBuilder(
                        "wrk",
                        "-t2",
                        "-c" + connections,
                        "-d" + seconds + "s",
                        "--timeout",
                        "5s",
                        "-s",
                        script.toString(),
                        url)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("wrk failed:\n" + out);
        }
        Matcher rps = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        Matcher requests = Pattern.compile("([0-9]+) requests in").matcher(out);
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: ([0-9]+)").matcher(out);
        Matcher errors = Pattern.compile("Socket errors: (.*)").matcher(out);
        Map<Integer, Long> statuses = new TreeMap<>();
        Matcher status = Pattern.compile("STATUS ([0-9]+) ([0-9]+)").matcher(out);
        while (status.find()) {
            statuses.put(Integer.parseInt(status.group(1)), Long.parseLong(status.group(2)));
        }
        if (!rps.find() || !requests.find()) {
            throw new IllegalStateException("unexpected wrk output:\n" + out);
        }
        return new Wrk(
                Double.parseDouble(rps.group(1)),
                Long.parseLong(requests.group(1)),
                non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0,
                errors.find() ? errors.group(1).trim() : "none",
                statuses);
    }

    private static Path lua(Path dir, String name, String body, boolean countStatuses) throws Exception {
        StringBuilder s = new StringBuilder();
        s.append("wrk.method = \"POST\"\n");
        s.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        s.append("wrk.body = [==[").append(body).append("]==]\n");
        if (countStatuses) {
            s.append("""
                    local threads = {}
                    function setup(thread) table.insert(threads, thread) end
                    function init(args) statuses = {} end
                    function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
                    function done(summary, latency, requests)
                      local total = {}
                      for _, t in ipairs(threads) do
                        for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
                      end
                      for k, v in pairs(total) do io.write(string.format("STATUS %d %d\\n", k, v)) end
                    end
                    """);
        }
        Path file = dir.resolve(name);
        Files.writeString(file, s.toString());
        return file;
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void print(
            Wrk a,
            Wrk b,
            Wrk c,
            double d,
            List<Wrk> cs,
            List<Double> ds,
            OpenLoop.Result half,
            OpenLoop.Result halfAfterBulk,
            Wrk overload,
            long idle,
            long peak) {
        double tasksPerSecond = c.rps * BATCH;
        long accepted = overload.statuses.getOrDefault(200, 0L) + overload.statuses.getOrDefault(202, 0L);
        long shed = overload.statuses.getOrDefault(503, 0L);
        long other = overload.statuses.entrySet().stream()
                .filter(e -> e.getKey() != 200 && e.getKey() != 202 && e.getKey() != 503)
                .mapToLong(Map.Entry::getValue)
                .sum();
        List<String> rows = new ArrayList<>();
        rows.add("| measurement | result | target | ratio | met |");
        rows.add("|---|---:|---|---:|:---:|");
        rows.add(row("(a) bare Vert.x: parse, 202, no Kafka", fmt(a.rps) + " req/s", "framework ceiling", "", ""));
        rows.add(row(
                "(b) `POST /v1/tasks`",
                fmt(b.rps) + " tasks/s",
                "≥ 0.25 × (a)",
                ratio(b.rps / a.rps),
                b.rps >= 0.25 * a.rps && b.non2xx == 0));
        rows.add(row(
                "(c) `POST /v1/tasks/batch`, 100 per request",
                fmt(tasksPerSecond) + " tasks/s",
                "≥ 0.6 × (d)",
                ratio(tasksPerSecond / d),
                tasksPerSecond >= 0.6 * d && c.non2xx == 0));
        rows.add(row("(d) raw KafkaProducer, same settings", fmt(d) + " records/s", "broker ceiling", "", ""));
        rows.add(latencyRow(
                "p99 of (b) at " + fmt(half.rate()) + " req/s (half its peak, open loop), right after (b)", half));
        rows.add(latencyRow(
                "the same after (c) and (d) wrote ~"
                        + fmt((tasksPerSecond + d) * cs.size() * Integer.getInteger("bench.seconds", 10) / 1e6)
                        + " M records",
                halfAfterBulk));
        rows.add(row(
                "10× overload (640 connections of batches): heap after GC",
                String.format(Locale.ROOT, "idle %d MiB, peak %d MiB", idle >> 20, peak >> 20),
                "≤ 2 × idle",
                ratio((double) peak / idle),
                peak <= 2 * idle));
        rows.add(row(
                "10× overload: answers",
                String.format(
                        Locale.ROOT,
                        "%d accepted (200), %d shed (503), %d other; socket errors: %s",
                        accepted,
                        shed,
                        other,
                        overload.socketErrors),
                "only 2xx or 503, no timeouts",
                "",
                other == 0 && overload.socketErrors.equals("none")));
        System.out.println();
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("(c) and (d) are medians of " + cs.size() + " interleaved rounds: (c) "
                + String.join(", ", cs.stream().map(w -> fmt(w.rps * BATCH)).toList()) + " tasks/s; (d) "
                + String.join(", ", ds.stream().map(ApiBench::fmt).toList()) + " records/s.");
        System.out.printf(
                Locale.ROOT,
                "%n%d cores, %s %s; every run %s s with wrk -t2 -c%d (overload -c%d).%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Integer.getInteger("bench.seconds", 10),
                CONNECTIONS,
                10 * CONNECTIONS);
        System.out.println("producer settings of (b), (c) and (d): " + KafkaSubmitter.class.getSimpleName()
                + ".producerSettings (acks=all, idempotence, linger.ms=1, batch.size=65536)");
    }

    private static String latencyRow(String what, OpenLoop.Result r) {
        return row(
                what,
                String.format(
                        Locale.ROOT,
                        "%.1f ms (p50 %.1f ms, %d sent, %d not 202; seconds with an answer over 20 ms: %s)",
                        r.p99Millis(),
                        r.p50Millis(),
                        r.sent(),
                        r.failed(),
                        r.slowSeconds().isEmpty() ? "none" : r.slowSeconds()),
                "≤ 20 ms",
                "",
                r.p99Millis() <= 20 && r.failed() == 0);
    }

    private static String row(String what, String result, String target, String ratio, Object met) {
        String mark = met instanceof Boolean ok ? (ok ? "yes" : "**no**") : "";
        return "| " + what + " | " + result + " | " + target + " | " + ratio + " | " + mark + " |";
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static void log(String what) {
        System.err.println("bench: " + what);
    }
}
