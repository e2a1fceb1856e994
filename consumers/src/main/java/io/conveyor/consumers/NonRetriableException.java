package io.conveyor.consumers;

/**
 * Thrown by a handler when retrying cannot help (bad input, a permanent refusal): the task is
 * dead-lettered at once and its status becomes {@code FAILED}.
 */
public class NonRetriableException extends Exception {
    private static final long serialVersionUID = 1L;

    public NonRetriableException(String message) {
        super(message);
    }

    public NonRetriableException(String message, Throwable cause) {
        super(message, cause);
    }
}
