package io.conveyor.bench.worker;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;

/** {@code noop}: returns at once with no result, so a run measures only the Kafka work. */
final class NoopHandler implements TaskHandler {
    static final String TYPE = "noop";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public JsonNode handle(TaskContext context) {
        return null;
    }
}
