package io.conveyor.core;

import java.util.concurrent.CompletionStage;

/**
 * One thing {@code /health/ready} waits for (Kafka and topics, the rollups' streams, ...).
 * Implementations answer without blocking the caller.
 */
public interface HealthCheck {

    /** One answer: ready or not, and a sentence saying why. */
    record Health(boolean ready, String detail) {}

    /** A short name shown in the readiness report, e.g. {@code kafka}. */
    String name();

    CompletionStage<Health> check();
}
