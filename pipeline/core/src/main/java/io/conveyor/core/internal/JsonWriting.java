package io.conveyor.core.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

/**
 * The two hot spots of writing task and result records, done directly: a JSON tree walked onto a
 * generator (without Jackson's serializer machinery, a third of a record's cost), and an {@link
 * Instant} in exactly the form {@link Instant#toString()} gives (without {@code
 * DateTimeFormatter}, another fifth). Property tests check both against Jackson and the JDK.
 * Stateless, thread-safe.
 */
public final class JsonWriting {
    /** 0000-01-01 and 9999-12-31 as epoch days: the years {@link Instant#toString()} writes plainly. */
    private static final long FIRST_DAY = LocalDate.of(0, 1, 1).toEpochDay();

    private static final long LAST_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

    private JsonWriting() {}

    /** Writes {@code node} as {@code mapper.writeTree} would. */
    public static void writeTree(JsonGenerator g, JsonNode node, ObjectMapper mapper) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    g.writeFieldName(field.getKey());
                    writeTree(g, field.getValue(), mapper);
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode element : node) {
                    writeTree(g, element, mapper);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(node.textValue());
            case BOOLEAN -> g.writeBoolean(node.booleanValue());
            case NULL -> g.writeNull();
            case NUMBER -> {
                switch (node.numberType()) {
                    case INT -> g.writeNumber(node.intValue());
                    case LONG -> g.writeNumber(node.longValue());
                    case BIG_INTEGER -> g.writeNumber(node.bigIntegerValue());
                    case BIG_DECIMAL -> g.writeNumber(node.decimalValue());
                    case FLOAT -> g.writeNumber(node.floatValue());
                    case DOUBLE -> g.writeNumber(node.doubleValue());
                }
            }
            default -> mapper.writeTree(g, node); // binary, POJO: Jackson's own rules
        }
    }

    /** {@code instant.toString()}, faster for the years 0 to 9999. */
    public static String iso(Instant instant) {
        long seconds = instant.getEpochSecond();
        long day = Math.floorDiv(seconds, 86_400);
        if (day < FIRST_DAY || day > LAST_DAY) {
            return instant.toString();
        }
        int secondOfDay = Math.floorMod(seconds, 86_400);
        LocalDate date = LocalDate.ofEpochDay(day);
        StringBuilder s = new StringBuilder(30);
        digits(s, date.getYear(), 4).append('-');
        digits(s, date.getMonthValue(), 2).append('-');
        digits(s, date.getDayOfMonth(), 2).append('T');
        digits(s, secondOfDay / 3600, 2).append(':');
        digits(s, secondOfDay / 60 % 60, 2).append(':');
        digits(s, secondOfDay % 60, 2);
        int nano = instant.getNano();
        if (nano != 0) {
            s.append('.');
            if (nano % 1_000_000 == 0) {
                digits(s, nano / 1_000_000, 3);
            } else if (nano % 1000 == 0) {
                digits(s, nano / 1000, 6);
            } else {
                digits(s, nano, 9);
            }
        }
        return s.append('Z').toString();
    }

    private static StringBuilder digits(StringBuilder s, int value, int width) {
        String text = Integer.toString(value);
        for (int i = text.length(); i < width; i++) {
            s.append('0');
        }
        return s.append(text);
    }
}
