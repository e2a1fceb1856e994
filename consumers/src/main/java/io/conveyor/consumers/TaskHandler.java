package io.conveyor.consumers;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs tasks of one type. Implementations are found through {@link java.util.ServiceLoader}: list
 * the class in {@code META-INF/services/io.conveyor.consumers.TaskHandler} of your jar and put the
 * jar on the worker's class path.
 *
 * <p>{@link #handle} runs on a virtual thread, one per running attempt, so blocking I/O is fine.
 * It is interrupted when the task's timeout passes or the task is cancelled (never after it has
 * returned); long computations should check {@link TaskContext#isCancelled()} or {@link
 * Thread#interrupted()}. A worker thread goes on to the next waiting task when an attempt ends, so
 * thread-locals a handler sets (a logging MDC, say) and a context class loader it changes are seen
 * by later attempts unless it restores them. A handler may run more than once for one task
 * (execution is at-least-once), so side effects should be idempotent by task id.
 */
public interface TaskHandler {

    /** The task type this handler runs, e.g. {@code echo}. */
    String type();

    /**
     * Runs one attempt.
     *
     * @return the result payload (any JSON value, or null for none)
     * @throws NonRetriableException to fail the task at once, without further attempts
     * @throws Exception any other failure; the task is retried while attempts remain
     */
    JsonNode handle(TaskContext context) throws Exception;
}
