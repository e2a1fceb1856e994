package io.conveyor.core;

import java.util.Objects;

/**
 * Why an attempt failed: the exception class (or a Conveyor reason such as {@code timeout}) and
 * its message.
 */
public record TaskError(String kind, String message) {
    public TaskError {
        Objects.requireNonNull(kind, "kind");
        message = message == null ? "" : message;
    }

    public static TaskError of(Throwable t) {
        return new TaskError(t.getClass().getName(), t.getMessage());
    }
}
