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
 * its request was due, so a stall is not hidden (no coordinated omission).
 */
final class OpenLoop {
    private OpenLoop() {}

    record Result(double rate, long sent, long failed, double p50Millis, double p99Millis) {}

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
            Histogram latencies = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
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
                                synchronized (latencies) {
                                    latencies.recordValue(Math.min(
                                            TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - due), 59_000_000));
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
                return new Result(
                        rate,
                        total,
                        failed.get() + done.getCount(),
                        latencies.getValueAtPercentile(50) / 1000.0,
                        latencies.getValueAtPercentile(99) / 1000.0);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
