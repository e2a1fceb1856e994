package io.conveyor.consumers.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which tasks were cancelled, and the attempts running now that a cancellation must interrupt.
 * Entries are forgotten after {@code remember} (the control topic's retention), so memory stays
 * bounded. Thread-safe: the control listener adds, attempt threads check and register.
 */
final class Cancellations {
    /** A running attempt: how to interrupt it, and the flag its handler reads through the context. */
    record Running(AttemptInterrupt interrupt, AtomicBoolean cancelled) {}

    private final Map<String, Instant> cancelled = new ConcurrentHashMap<>();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration remember;

    Cancellations(Clock clock, Duration remember) {
        this.clock = clock;
        this.remember = remember;
    }

    /** Records a cancellation and interrupts the task if it is running here. */
    void cancel(String taskId) {
        cancelled.put(taskId, clock.instant());
        Running r = running.get(taskId);
        if (r != null && r.cancelled().compareAndSet(false, true)) {
            r.interrupt().interrupt();
        }
    }

    boolean isCancelled(String taskId) {
        return cancelled.containsKey(taskId);
    }

    /** Registers an attempt of the task as running; the returned flag turns true on cancel. */
    AtomicBoolean running(String taskId, AttemptInterrupt interrupt) {
        AtomicBoolean flag = new AtomicBoolean(isCancelled(taskId));
        running.put(taskId, new Running(interrupt, flag));
        if (isCancelled(taskId)) {
            flag.set(true); // cancelled between the check and the registration
        }
        return flag;
    }

    /** Unregisters this attempt; another attempt of the same task running here stays registered. */
    void finished(String taskId, AttemptInterrupt interrupt) {
        running.computeIfPresent(taskId, (id, r) -> r.interrupt() == interrupt ? null : r);
    }

    /** Forgets cancellations older than the retention. */
    void prune() {
        Instant horizon = clock.instant().minus(remember);
        cancelled.values().removeIf(at -> at.isBefore(horizon));
    }

    int size() {
        return cancelled.size();
    }
}
