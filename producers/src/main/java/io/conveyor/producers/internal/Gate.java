package io.conveyor.producers.internal;

import io.conveyor.core.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.Locale;

/**
 * The door of the write routes: refuses while shutting down (503), while shedding load (503 with
 * Retry-After) and when a client is over its rate (429 with Retry-After); admits tasks and releases
 * them after the answer; adds the pressure header. Thread-safe (state lives in {@link Admission}
 * and {@link RateLimiter}).
 */
public final class Gate {
    static final String PRESSURE_HEADER = "X-Conveyor-Pressure";
    static final String API_KEY_HEADER = "X-API-Key";

    private final Admission admission;
    private final RateLimiter rateLimiter;
    private final MeterRegistry registry;
    private final long high;

    /**
     * @param rateLimiter null for no per-client limit
     * @param high the in-flight high watermark, for messages
     */
    public Gate(Admission admission, RateLimiter rateLimiter, MeterRegistry registry, long high) {
        this.admission = admission;
        this.rateLimiter = rateLimiter;
        this.registry = registry;
        this.high = high;
    }

    /** A route handler that refuses before the body is read when a request would be refused anyway. */
    public PlatformHandler early() {
        return ctx -> {
            Admission.Decision decision = admission.peek();
            if (decision == Admission.Decision.ACCEPTED) {
                ctx.next();
            } else {
                refuse(ctx, decision);
            }
        };
    }

    /**
     * Admits {@code count} tasks of about {@code bytes} for the client of {@code ctx}, or answers
     * the refusal and returns false.
     */
    public boolean admit(RoutingContext ctx, int count, long bytes) {
        if (rateLimiter != null) {
            long wait = rateLimiter.tryAcquire(client(ctx), count);
            if (wait > 0) {
                Meters.counter(registry, Meters.TASKS_REJECTED, "rate_limited").increment(count);
                ctx.response().putHeader("Retry-After", String.valueOf(wait));
                HttpErrors.send(
                        ctx.response(),
                        429,
                        "rate_limited",
                        "this client (" + API_KEY_HEADER + " or address) is over api.rate.limit.per.second; retry in "
                                + wait + " s",
                        null);
                return false;
            }
        }
        Admission.Decision decision = admission.tryAcquire(count, bytes);
        if (decision == Admission.Decision.ACCEPTED) {
            return true;
        }
        refuse(ctx, decision);
        return false;
    }

    /** Releases what {@link #admit} admitted; call once the answer went out. */
    public void release(int count, long bytes) {
        admission.release(count, bytes);
    }

    /** Adds the pressure header when in-flight work is above the low watermark. */
    public void pressureHeader(HttpServerResponse response) {
        if (admission.underPressure() && !response.headWritten()) {
            response.putHeader(PRESSURE_HEADER, String.format(Locale.ROOT, "%.2f", admission.pressure()));
        }
    }

    private void refuse(RoutingContext ctx, Admission.Decision decision) {
        HttpServerResponse response = ctx.response();
        if (decision == Admission.Decision.SHUTTING_DOWN) {
            Meters.counter(registry, Meters.TASKS_REJECTED, "shutting_down").increment();
            HttpErrors.shuttingDown(response);
            return;
        }
        Meters.counter(registry, Meters.TASKS_REJECTED, "overloaded").increment();
        pressureHeader(response);
        HttpErrors.unavailable(
                response,
                "overloaded",
                "the API has too many tasks in flight (" + admission.inflight() + ", api.inflight.high " + high
                        + ") and sheds load until they drain; retry later",
                1);
    }

    private static String client(RoutingContext ctx) {
        String key = ctx.request().getHeader(API_KEY_HEADER);
        if (key != null && !key.isBlank()) {
            return "key:" + key;
        }
        return ctx.request().remoteAddress() == null
                ? "unknown"
                : "ip:" + ctx.request().remoteAddress().hostAddress();
    }
}
