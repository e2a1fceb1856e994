package io.conveyor.consumers;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The handlers a worker knows, by task type. Immutable once built; thread-safe. */
public final class HandlerRegistry {
    private final Map<String, TaskHandler> byType;

    private HandlerRegistry(Map<String, TaskHandler> byType) {
        this.byType = Map.copyOf(byType);
    }

    /** Every handler on the class path (the built-ins and any user jars), found by ServiceLoader. */
    public static HandlerRegistry discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    public static HandlerRegistry discover(ClassLoader loader) {
        return of(ServiceLoader.load(TaskHandler.class, loader).stream()
                .map(ServiceLoader.Provider::get)
                .toList());
    }

    /**
     * A registry of exactly these handlers.
     *
     * @throws IllegalArgumentException if two handlers claim one type
     */
    public static HandlerRegistry of(Collection<? extends TaskHandler> handlers) {
        Map<String, TaskHandler> byType = new TreeMap<>();
        for (TaskHandler h : handlers) {
            TaskHandler previous = byType.putIfAbsent(h.type(), h);
            if (previous != null) {
                throw new IllegalArgumentException("two handlers for task type '" + h.type() + "': "
                        + previous.getClass().getName() + " and " + h.getClass().getName()
                        + "; remove one from the class path");
            }
        }
        return new HandlerRegistry(byType);
    }

    public Optional<TaskHandler> find(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    /** The known task types, sorted. */
    public Collection<String> types() {
        return new TreeMap<>(byType).keySet();
    }
}
