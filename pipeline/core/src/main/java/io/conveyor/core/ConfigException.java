package io.conveyor.core;

/**
 * A setting is wrong. The message names the key, the bad value, where it came from and what is
 * expected, e.g. {@code worker.queue.capacity must be > 0, but was -5 (from environment variable
 * CONVEYOR_WORKER_QUEUE_CAPACITY)}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String key;

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
