package io.conveyor.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.MalformedTaskException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Typed reads of JSON fields whose errors name the field and say what was expected. */
public final class JsonFields {
    private JsonFields() {}

    public static String requiredText(JsonNode node, String field) throws MalformedTaskException {
        return optionalText(node, field).orElseThrow(() -> new MalformedTaskException(field, field + " is required"));
    }

    /** A non-blank string, or empty when the field is absent or null. */
    public static Optional<String> optionalText(JsonNode node, String field) throws MalformedTaskException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new MalformedTaskException(field, field + " must be a string, but was " + describe(v));
        }
        if (v.asText().isBlank()) {
            throw new MalformedTaskException(field, field + " must not be blank");
        }
        return Optional.of(v.asText());
    }

    public static Optional<Integer> optionalInt(JsonNode node, String field, int min) throws MalformedTaskException {
        Optional<Long> v = optionalLong(node, field, min);
        if (v.isPresent() && v.get() > Integer.MAX_VALUE) {
            throw new MalformedTaskException(
                    field, field + " must be at most " + Integer.MAX_VALUE + ", but was " + v.get());
        }
        return v.map(Long::intValue);
    }

    public static Optional<Long> optionalLong(JsonNode node, String field, long min) throws MalformedTaskException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new MalformedTaskException(field, field + " must be a whole number, but was " + describe(v));
        }
        long value = v.asLong();
        if (value < min) {
            throw new MalformedTaskException(field, field + " must be >= " + min + ", but was " + value);
        }
        return Optional.of(value);
    }

    /**
     * An ISO-8601 instant such as {@code 2026-11-23T10:15:30Z}, or epoch milliseconds, within the
     * years 0000 to 9999 ({@link Instants#MIN}, {@link Instants#MAX}).
     */
    public static Optional<Instant> optionalInstant(JsonNode node, String field) throws MalformedTaskException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        Instant instant;
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            instant = Instant.ofEpochMilli(v.asLong());
        } else if (v.isTextual()) {
            try {
                instant = Instants.parse(v.asText());
            } catch (DateTimeParseException e) {
                throw new MalformedTaskException(
                        field,
                        field + " must be an ISO-8601 instant like 2026-01-31T12:00:00Z, but was '" + v.asText() + "'",
                        e);
            }
        } else {
            throw new MalformedTaskException(
                    field, field + " must be an ISO-8601 instant or epoch milliseconds, but was " + describe(v));
        }
        if (!Instants.onTheWire(instant)) {
            throw new MalformedTaskException(
                    field,
                    field + " must be between " + Instants.MIN + " and " + Instants.MAX + ", but was " + describe(v));
        }
        return Optional.of(instant);
    }

    private static String describe(JsonNode v) {
        String text = v.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }
}
