package io.conveyor.app.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts running in this process, closed in the reverse order they were started (the API
 * first, the broker last). Thread-safe; {@link #close()} runs once.
 */
public final class Node implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final Deque<NamedPart> parts = new ArrayDeque<>();
    private boolean closed;

    private record NamedPart(String name, AutoCloseable part) {}

    /** Registers a started part; returns it. */
    public synchronized <T extends AutoCloseable> T add(String name, T part) {
        parts.push(new NamedPart(name, part));
        return part;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!parts.isEmpty()) {
            NamedPart p = parts.pop();
            try {
                p.part().close();
            } catch (Exception e) {
                log.warn("Stopping {} failed: {}", p.name(), e.toString());
            }
        }
    }
}
