package io.conveyor.bench.worker;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a row's JVM talks to the orchestrator: lines on stdout that start with {@link #PREFIX},
 * followed by {@code key=value} pairs (values without spaces). Everything else is passed through.
 */
final class Protocol {
    static final String PREFIX = "@bench ";

    private Protocol() {}

    static void emit(Map<String, ?> fields) {
        StringBuilder line = new StringBuilder(PREFIX);
        fields.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
        System.out.println(line.toString().trim());
        System.out.flush();
    }

    static Map<String, String> parse(String line) {
        return parseArgs(line.substring(PREFIX.length()).trim().split("\\s+"));
    }

    /** {@code key=value} arguments, in order. */
    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, but got '" + arg + "'");
            }
            fields.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return fields;
    }
}
