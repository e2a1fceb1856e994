package io.conveyor.consumers.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;

/**
 * {@code cpu} with {@code {"iterations":N}}: N rounds of a 64-bit mix function (a CPU-bound
 * stand-in); returns the final value so the work cannot be optimised away.
 */
public final class CpuHandler implements TaskHandler {
    @Override
    public String type() {
        return "cpu";
    }

    @Override
    public JsonNode handle(TaskContext context) throws Exception {
        long iterations = Payloads.nonNegativeLong(context.payload(), "iterations", 1_000);
        long x = context.task().id().hashCode();
        for (long i = 0; i < iterations; i++) {
            x ^= x >>> 33;
            x *= 0xff51afd7ed558ccdL;
            x ^= x >>> 33;
            if ((i & 0xFFFF) == 0 && Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("cpu task interrupted after " + i + " iterations");
            }
        }
        return JsonNodeFactory.instance
                .objectNode()
                .put("iterations", iterations)
                .put("value", x);
    }
}
