package io.conveyor.core;

/**
 * The life of a task. {@code SUCCEEDED}, {@code FAILED} and {@code CANCELLED} are terminal: every
 * accepted task reaches exactly one of them. {@code FAILED} means dead-lettered, after the last
 * attempt or as a poison message.
 *
 * <p>The {@link #code()} values are exported as gauge values and never change meaning.
 */
public enum TaskStatus {
    QUEUED(0, 0),
    RUNNING(1, 1),
    RETRYING(2, 2),
    SUCCEEDED(3, 3),
    FAILED(4, 3),
    CANCELLED(5, 3);

    private final int code;
    private final int phase;

    TaskStatus(int code, int phase) {
        this.code = code;
        this.phase = phase;
    }

    /** A stable number for this status, for gauges and compact encodings. */
    public int code() {
        return code;
    }

    /** Whether the task can never leave this status. */
    public boolean isTerminal() {
        return phase == 3;
    }

    /**
     * Order of statuses within one attempt: queued, then running, then retrying or a terminal
     * status. Used to merge status events that arrive out of order.
     */
    int phase() {
        return phase;
    }
}
