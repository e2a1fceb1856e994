package io.conveyor.consumers.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;

/** {@code echo}: returns its payload as the result. */
public final class EchoHandler implements TaskHandler {
    @Override
    public String type() {
        return "echo";
    }

    @Override
    public JsonNode handle(TaskContext context) {
        return context.payload();
    }
}
