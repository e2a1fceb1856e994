package io.conveyor.core;

import java.util.List;
import java.util.Objects;

/**
 * One meter of the catalogue ({@link Meters}): its Micrometer name, type, base unit, meaning and
 * the tags it carries (all of bounded cardinality).
 */
public record MeterSpec(String name, Type type, String unit, String description, List<String> tags) {

    public enum Type {
        COUNTER,
        GAUGE,
        TIMER,
        DISTRIBUTION
    }

    public MeterSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        tags = List.copyOf(tags);
    }

    /** The name Prometheus shows, e.g. {@code conveyor_tasks_submitted_total}. */
    public String prometheusName() {
        String base = name.replace('.', '_');
        return switch (type) {
            case COUNTER -> base + "_total";
            case TIMER -> base + "_seconds";
            case GAUGE, DISTRIBUTION -> unit == null || unit.isEmpty() ? base : base + "_" + unit;
        };
    }
}
