package io.conveyor.core;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Task priority; each has its own topic ({@code conveyor.tasks.high|normal|low}). */
public enum Priority {
    HIGH,
    NORMAL,
    LOW;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The name used on the wire and in topic names: {@code high}, {@code normal}, {@code low}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name, case-insensitively.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Priority parse(String value) {
        for (Priority p : values()) {
            if (p.wireName().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("must be one of "
                + Arrays.stream(values()).map(Priority::wireName).collect(Collectors.joining(", "))
                + ", but was '"
                + value
                + "'");
    }
}
