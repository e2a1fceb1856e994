package io.conveyor.bench.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import io.conveyor.consumers.TaskHandler;
import io.conveyor.consumers.handlers.SleepHandler;

/**
 * What every task of a run does: {@code noop} (the Kafka work alone) or the built-in {@code
 * sleep} handler with {@code {"ms":20}} (I/O-bound). Every implementation runs the same handler
 * instance type on the same payload.
 */
public enum Workload {
    NOOP(NoopHandler.TYPE, NullNode.getInstance()),
    SLEEP("sleep", JsonNodeFactory.instance.objectNode().put("ms", Workload.SLEEP_MS));

    /** How long one sleep task takes. */
    static final int SLEEP_MS = 20;

    private final String type;
    private final JsonNode payload;

    Workload(String type, JsonNode payload) {
        this.type = type;
        this.payload = payload;
    }

    String type() {
        return type;
    }

    JsonNode payload() {
        return payload;
    }

    TaskHandler handler() {
        return this == NOOP ? new NoopHandler() : new SleepHandler();
    }

    static Workload of(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
}
