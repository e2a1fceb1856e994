package io.conveyor.consumers.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.TaskError;
import java.time.Instant;

/** How one attempt ended, and so what the worker writes next. */
sealed interface Outcome {

    /** The handler returned: publish {@code SUCCEEDED} with its result. */
    record Succeeded(JsonNode result) implements Outcome {}

    /** The attempt failed and attempts remain: re-queue on the retry topic, due at notBefore. */
    record Retry(TaskError error, Instant notBefore) implements Outcome {}

    /** No attempt will follow: dead-letter the task and publish {@code FAILED}. */
    record DeadLetter(TaskError error, String reason) implements Outcome {}

    /** The task was cancelled: publish {@code CANCELLED}. */
    record Cancelled(TaskError error) implements Outcome {}
}
