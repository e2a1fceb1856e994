package io.conveyor.core;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the values of one metric label bounded when they come from clients (such as task types
 * submitted over HTTP): the first {@code max} distinct values are used as they are, every later one
 * (and any value longer than {@link #MAX_LENGTH} characters) becomes {@link #OTHER}. Thread-safe;
 * the set of admitted values only grows, so a value keeps its label for the life of the process.
 */
public final class BoundedLabels {
    /** The label of every value past the limit. */
    public static final String OTHER = "other";
    /** Longest value used as a label. */
    public static final int MAX_LENGTH = 64;
    /** Distinct task types labelled by name before the rest become {@code other}. */
    public static final int DEFAULT_MAX_TYPES = 100;

    private final int max;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();

    public BoundedLabels(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("max must be >= 0, but was " + max);
        }
        this.max = max;
    }

    /** The label for {@code value}: the value itself while there is room, else {@link #OTHER}. */
    public String label(String value) {
        if (value == null || value.length() > MAX_LENGTH) {
            return OTHER;
        }
        if (admitted.contains(value)) {
            return value;
        }
        synchronized (admitted) {
            if (admitted.contains(value) || admitted.size() < max) {
                admitted.add(value);
                return value;
            }
        }
        return OTHER;
    }

    /** Values labelled by name so far. */
    public int size() {
        return admitted.size();
    }
}
