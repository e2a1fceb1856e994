package io.conveyor.core;

import java.util.Objects;
import java.util.function.Function;

/**
 * One Conveyor setting: its key, meaning, default (as text, null when it has none) and how its
 * text is parsed and checked. The parser throws {@link IllegalArgumentException} whose message
 * completes "key ..." (for example "must be > 0").
 */
public record Setting<T>(String key, String description, String defaultValue, Function<String, T> parser) {
    public Setting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parser, "parser");
    }

    /** The environment variable that sets this key: {@code worker.queue.capacity} → {@code
     * CONVEYOR_WORKER_QUEUE_CAPACITY}. */
    public String environmentVariable() {
        return ConfigLoader.environmentVariable(key);
    }

    static Setting<Integer> intAtLeast(String key, String description, int defaultValue, int min) {
        return new Setting<>(key, description, String.valueOf(defaultValue), text -> {
            int value;
            try {
                value = Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number");
            }
            if (value < min) {
                throw new IllegalArgumentException("must be >= " + min);
            }
            return value;
        });
    }

    static Setting<Long> longAtLeast(String key, String description, long defaultValue, long min) {
        return new Setting<>(key, description, String.valueOf(defaultValue), text -> {
            long value;
            try {
                value = Long.parseLong(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number");
            }
            if (value < min) {
                throw new IllegalArgumentException("must be >= " + min);
            }
            return value;
        });
    }

    static Setting<String> text(String key, String description, String defaultValue) {
        return new Setting<>(key, description, defaultValue, text -> {
            if (text.isBlank()) {
                throw new IllegalArgumentException("must not be blank");
            }
            return text.trim();
        });
    }

    static Setting<Integer> port(String key, String description, int defaultValue) {
        return new Setting<>(key, description, String.valueOf(defaultValue), text -> {
            int value;
            try {
                value = Integer.parseInt(text.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a port number (0-65535)");
            }
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("must be a port number (0-65535)");
            }
            return value;
        });
    }
}
