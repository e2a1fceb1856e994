package io.conveyor.consumers.internal;

/**
 * Interrupts one attempt's thread, and only while that attempt runs: a worker thread goes on to
 * other attempts (see {@link Dispatcher}), which a late timeout or cancellation of this one must
 * not reach. Created on the attempt's thread; thread-safe.
 */
final class AttemptInterrupt {
    private final Thread thread = Thread.currentThread();
    private boolean over; // guarded by this

    /** Interrupts the attempt, unless it has ended. */
    synchronized void interrupt() {
        if (!over) {
            thread.interrupt();
        }
    }

    /**
     * Ends the attempt, on its own thread: no interrupt reaches the thread after this, and one that
     * arrived is cleared. Returns whether one had arrived.
     */
    synchronized boolean end() {
        over = true;
        return Thread.interrupted();
    }
}
