package io.conveyor.core;

/**
 * A task or result could not be read: names the offending field (null when the whole document is
 * at fault) and says what was expected.
 */
public final class MalformedTaskException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String field;

    public MalformedTaskException(String field, String message) {
        super(message);
        this.field = field;
    }

    public MalformedTaskException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The JSON field at fault, or null when the document as a whole is. */
    public String field() {
        return field;
    }
}
