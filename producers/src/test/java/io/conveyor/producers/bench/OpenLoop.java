package io.conveyor.producers.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * An open-loop load generator: requests leave on a fixed schedule whatever the answers do (over
 * up to 64 connections, queueing in the client beyond), and each latency counts from the moment
 * its request was due, so a stall is not hidden (no coordinated omission). {@link #runInOwnJvm}
 * runs it in a JVM of its own, so its collector and scheduling stay out of the server's figures;
 * it runs {@value #WARM_UP_SECONDS} s at the same rate before it measures.
 */
final class OpenLoop {
    private OpenLoop() {}

    /** @param slowSeconds the seconds of the run whose slowest answer took over 20 ms */
    record Result(double rate, long sent, long failed, double p50Millis, double p99Millis, String slowSeconds) {}

    /** {@code OpenLoop PORT RATE SECONDS}: runs {@link ApiBench#TASK} and prints one result line. */
    public static void main(String[] args) throws Exception {
        Result r =
                run(Integer.parseInt(args[0]), ApiBench.TASK, Double.parseDouble(args[1]), Integer.parseInt(args[2]));
        System.out.printf(
                java.util.Locale.ROOT,
                "RESULT %f %d %d %f %f %s%n",
                r.rate(),
                r.sent(),
                r.failed(),
                r.p50Millis(),
                r.p99Millis(),
                r.slowSeconds().isEmpty() ? "-" : r.slowSeconds());
    }

    static Result runInOwnJvm(int port, double rate, int seconds) throws Exception {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(
                        javaCommand,
                        "-Xms256m",
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        OpenLoop.class.getName(),
                        String.valueOf(port),
                        String.valueOf(rate),
                        String.valueOf(seconds))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the open-loop generator failed:\n" + out);
        }
        for (String line : out.lines().toList()) {
            if (line.startsWith("RESULT ")) {
                String[] f = line.split(" ");
                return new Result(
                        Double.parseDouble(f[1]),
                        Long.parseLong(f[2]),
                        Long.parseLong(f[3]),
                        Double.parseDouble(f[4]),
                        Double.parseDouble(f[5]),
                        f[6].equals("-") ? "" : f[6]);
            }
        }
        throw new IllegalStateException("no result from the open-loop generator:\n" + out);
    }

    /** Seconds the generator runs at the same rate, over the same connections, before it measures. */
    static final int WARM_UP_SECONDS = 3;

    static Result run(int port, String body, double rate, int seconds) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClientAgent client = vertx.createHttpClient(
                    new HttpClientOptions()
                            .setDefaultHost("127.0.0.1")
                            .setDefaultPort(port)
                            .setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(ApiBench.CONNECTIONS).setMaxWaitQueueSize(-1));
            Buffer payload = Buffer.buffer(body);
            // the generator's own start (its JIT, opening 64 connections) is not the server's latency
            phase(vertx, client, payload, rate, WARM_UP_SECONDS);
            return phase(vertx, client, payload, rate, seconds);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Result phase(Vertx vertx, HttpClientAgent client, Buffer payload, double rate, int seconds)
            throws InterruptedException {
        Histogram latencies = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long[] slowestBySecond = new long[seconds + 61];
        long total = (long) (rate * seconds);
        CountDownLatch done = new CountDownLatch((int) total);
        AtomicLong failed = new AtomicLong();
        long interval = (long) (1e9 / rate);
        long start = System.nanoTime();
        long[] next = {0};
        vertx.setPeriodic(1, id -> {
            long now = System.nanoTime();
            while (next[0] < total && start + next[0] * interval <= now) {
                long due = start + next[0]++ * interval;
                client.request(HttpMethod.POST, "/v1/tasks")
                        .compose(req -> req.putHeader("content-type", "application/json")
                                .send(payload))
                        .onComplete(ar -> {
                            if (ar.failed() || ar.result().statusCode() != 202) {
                                failed.incrementAndGet();
                            }
                            long micros = Math.min(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - due), 59_000_000);
                            synchronized (latencies) {
                                latencies.recordValue(micros);
                                int second = (int) ((due - start) / 1_000_000_000L);
                                slowestBySecond[second] = Math.max(slowestBySecond[second], micros);
                            }
                            done.countDown();
                        });
            }
            if (next[0] >= total) {
                vertx.cancelTimer(id);
            }
        });
        done.await(seconds + 60L, TimeUnit.SECONDS);
        synchronized (latencies) {
            StringBuilder slow = new StringBuilder();
            for (int i = 0; i < slowestBySecond.length; i++) {
                if (slowestBySecond[i] > 20_000) {
                    slow.append(slow.isEmpty() ? "" : ",")
                            .append(i)
                            .append("s:")
                            .append(slowestBySecond[i] / 1000)
                            .append("ms");
                }
            }
            return new Result(
                    rate,
                    total,
                    failed.get() + done.getCount(),
                    latencies.getValueAtPercentile(50) / 1000.0,
                    latencies.getValueAtPercentile(99) / 1000.0,
                    slow.toString());
        }
    }
}
