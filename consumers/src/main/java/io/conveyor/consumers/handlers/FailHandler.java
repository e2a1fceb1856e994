package io.conveyor.consumers.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.consumers.TaskContext;
import io.conveyor.consumers.TaskHandler;

/**
 * {@code fail} with {@code {"times":N}}: fails the first N attempts, then succeeds; with N at or
 * above the task's maxAttempts the task ends dead-lettered ({@code FAILED}).
 */
public final class FailHandler implements TaskHandler {

    /** The failure this handler throws. */
    public static final class IntendedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IntendedFailure(String message) {
            super(message);
        }
    }

    @Override
    public String type() {
        return "fail";
    }

    @Override
    public JsonNode handle(TaskContext context) throws Exception {
        long times = Payloads.nonNegativeLong(context.payload(), "times", 1);
        if (context.attempt() <= times) {
            throw new IntendedFailure("attempt " + context.attempt() + " of " + times + " planned failures");
        }
        return JsonNodeFactory.instance.objectNode().put("succeededOnAttempt", context.attempt());
    }
}
