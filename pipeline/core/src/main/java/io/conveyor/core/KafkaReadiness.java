package io.conveyor.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;

/**
 * Whether Kafka is reachable and Conveyor's topics exist: what {@code /health/ready} reports.
 *
 * <p>Never blocks: {@link #check()} answers from the last result while it is fresh and otherwise
 * asks the cluster asynchronously through the Admin client's futures. Thread-safe.
 */
public final class KafkaReadiness implements HealthCheck {

    private record Status(boolean ready, String detail, Instant checkedAt) {}

    private final Admin admin;
    private final List<String> topics;
    private final Duration freshFor;
    private final Duration timeout;
    private final Clock clock;
    private final AtomicReference<CompletableFuture<Status>> last = new AtomicReference<>();

    public KafkaReadiness(Admin admin, List<String> topics, Duration freshFor, Clock clock) {
        this.admin = admin;
        this.topics = List.copyOf(topics);
        this.freshFor = freshFor;
        this.timeout = Duration.ofSeconds(2);
        this.clock = clock;
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public CompletionStage<Health> check() {
        return status().thenApply(s -> new Health(s.ready(), s.detail()));
    }

    private CompletionStage<Status> status() {
        CompletableFuture<Status> current = last.get();
        if (current != null
                && (!current.isDone()
                        || current.join().checkedAt().plus(freshFor).isAfter(clock.instant()))) {
            return current;
        }
        CompletableFuture<Status> next = new CompletableFuture<>();
        if (!last.compareAndSet(current, next)) {
            return last.get();
        }
        admin.describeTopics(topics, new DescribeTopicsOptions().timeoutMs((int) timeout.toMillis()))
                .allTopicNames()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(timeout.toMillis() + 500, TimeUnit.MILLISECONDS)
                .whenComplete((described, error) -> next.complete(
                        error == null
                                ? new Status(true, "kafka reachable, topics present", clock.instant())
                                : new Status(false, describe(error), clock.instant())));
        return next;
    }

    private static String describe(Throwable error) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return "kafka not ready: " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
