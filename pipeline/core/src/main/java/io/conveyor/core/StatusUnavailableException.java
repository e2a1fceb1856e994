package io.conveyor.core;

/**
 * The task-status table cannot answer right now (starting, rebalancing, restoring, or no status
 * source is configured); the message says which, and callers answer 503 with Retry-After.
 */
public final class StatusUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StatusUnavailableException(String message) {
        super(message);
    }

    public StatusUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
