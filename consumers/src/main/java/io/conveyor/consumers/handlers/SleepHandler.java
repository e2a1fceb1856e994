package io.conveyor.consumers.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.consumers.NonRetriableException;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;

/** {@code sleep} with {@code {"ms":N}}: waits N milliseconds (an I/O-bound stand-in). */
public final class SleepHandler implements TaskHandler {
    @Override
    public String type() {
        return "sleep";
    }

    @Override
    public JsonNode handle(TaskContext context) throws Exception {
        long ms = Payloads.nonNegativeLong(context.payload(), "ms", 0);
        if (ms > 86_400_000L) {
            throw new NonRetriableException("sleep payload ms must be at most one day, but was " + ms);
        }
        Thread.sleep(ms);
        return JsonNodeFactory.instance.objectNode().put("sleptMs", ms);
    }
}
