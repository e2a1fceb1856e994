package io.conveyor.core;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a role reports an error it cannot recover from (Kafka refusing it: {@link AccessDenied};
 * a poll loop that died): the first one is logged, once, at ERROR; {@code /health/ready} turns
 * red with it ({@link #health()}); and whoever runs the process stops it ({@link #failure()}: the
 * command line exits non-zero). Later reports are counted out of the log, so a loop that keeps
 * failing does not fill it.
 *
 * <p>Thread-safe: any thread may report.
 */
public final class FatalErrors {
    private static final Logger log = LoggerFactory.getLogger(FatalErrors.class);

    /** The first fatal error: which part of which role, and what to do about it. */
    public record Failure(String part, String message) {}

    private final CompletableFuture<Failure> first = new CompletableFuture<>();
    private final String principal;

    /** Fatal errors whose messages name the principal as {@link AccessDenied#PRINCIPAL}. */
    public FatalErrors() {
        this(AccessDenied.PRINCIPAL);
    }

    /**
     * @param principal the principal Kafka sees ({@code User:worker}, from {@link
     *     ConveyorConfig#kafkaPrincipal()}), put into the kafka-acls.sh commands of the messages
     */
    public FatalErrors(String principal) {
        this.principal = principal;
    }

    /**
     * Reports a fatal error of {@code part} ({@code worker poll loop}, {@code rollups}); only the
     * first one is logged and kept.
     */
    public void report(String part, String message, Throwable cause) {
        String named = message.replace(AccessDenied.PRINCIPAL, principal);
        if (first.complete(new Failure(part, named))) {
            log.error("{} stopped: {}", part, named);
            if (cause != null) {
                log.debug("{} stopped", part, cause);
            }
        }
    }

    /** Completes with the first fatal error; never completes while none happened. */
    public CompletionStage<Failure> failure() {
        return first;
    }

    /** Whether a fatal error happened. */
    public boolean failed() {
        return first.isDone();
    }

    /** Ready until a fatal error, then not ready with its message. */
    public HealthCheck health() {
        return new HealthCheck() {
            @Override
            public String name() {
                return "fatal";
            }

            @Override
            public CompletionStage<Health> check() {
                Failure f = first.getNow(null);
                return CompletableFuture.completedFuture(
                        f == null
                                ? new Health(true, "no fatal error")
                                : new Health(false, f.part() + " stopped: " + f.message()));
            }
        };
    }
}
