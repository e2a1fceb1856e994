package io.conveyor.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A unit of work: a handler {@code type} and its JSON {@code payload}, with delivery options.
 *
 * @param id unique id; the API assigns a UUID, the worker derives one from
 *     topic-partition-offset for records written without one
 * @param type the handler that runs it, e.g. {@code echo}
 * @param payload handler input, any JSON value
 * @param key Kafka record key: tasks with the same key keep their order; may be null
 * @param priority which task topic carries it
 * @param idempotencyKey client-chosen key that deduplicates submissions; may be null
 * @param maxAttempts attempts before the task is dead-lettered, at least 1
 * @param timeoutMs per-attempt time limit, 0 for none
 * @param runAt not run before this instant; null to run as soon as possible
 * @param submittedAt when the task was accepted
 * @param attempt which attempt this record carries, starting at 1
 */
public record Task(
        String id,
        String type,
        JsonNode payload,
        String key,
        Priority priority,
        String idempotencyKey,
        int maxAttempts,
        long timeoutMs,
        Instant runAt,
        Instant submittedAt,
        int attempt) {

    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    public Task {
        requireText(id, "id");
        requireText(type, "type");
        payload = payload == null ? NullNode.getInstance() : payload;
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(submittedAt, "submittedAt");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, but was " + maxAttempts);
        }
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("timeoutMs must be >= 0, but was " + timeoutMs);
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, but was " + attempt);
        }
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }

    /** A builder for a new task of the given type, with a fresh id and default options. */
    public static Builder builder(String type) {
        return new Builder(type);
    }

    /** The same task carrying the next attempt number. */
    public Task nextAttempt() {
        return new Task(
                id,
                type,
                payload,
                key,
                priority,
                idempotencyKey,
                maxAttempts,
                timeoutMs,
                runAt,
                submittedAt,
                attempt + 1);
    }

    /** Whether this is the last attempt allowed. */
    public boolean isLastAttempt() {
        return attempt >= maxAttempts;
    }

    /** Builds {@link Task}s; every option has a default. */
    public static final class Builder {
        private String id = UUID.randomUUID().toString();
        private final String type;
        private JsonNode payload = NullNode.getInstance();
        private String key;
        private Priority priority = Priority.NORMAL;
        private String idempotencyKey;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private long timeoutMs;
        private Instant runAt;
        private Instant submittedAt;
        private int attempt = 1;

        private Builder(String type) {
            this.type = type;
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder payload(JsonNode payload) {
            this.payload = payload;
            return this;
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder priority(Priority priority) {
            this.priority = priority;
            return this;
        }

        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder timeoutMs(long timeoutMs) {
            this.timeoutMs = timeoutMs;
            return this;
        }

        public Builder runAt(Instant runAt) {
            this.runAt = runAt;
            return this;
        }

        public Builder submittedAt(Instant submittedAt) {
            this.submittedAt = submittedAt;
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Task build() {
            return new Task(
                    id,
                    type,
                    payload,
                    key,
                    priority,
                    idempotencyKey,
                    maxAttempts,
                    timeoutMs,
                    runAt,
                    submittedAt == null ? Instant.now() : submittedAt,
                    attempt);
        }
    }
}
