package io.conveyor.app;

import io.conveyor.app.internal.Node;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import java.util.concurrent.CountDownLatch;

/**
 * Keeps a started node running until the process is told to stop (Ctrl-C, SIGTERM) or one of its
 * roles meets an error it cannot recover from ({@link FatalErrors}).
 *
 * <p>Threads: the caller (the command's main thread) waits here and, after a fatal error, closes
 * the node itself; the shutdown hook {@code conveyor-shutdown} closes it on a signal. {@link
 * Node#close()} runs once, whichever comes first.
 */
final class Lifecycle {
    private Lifecycle() {}

    /**
     * Waits until the process is told to stop (returns 0, the shutdown hook closed the node) or a
     * fatal error happens (closes the node and returns 1, so that the process exits non-zero).
     */
    static int runUntilStopped(Node node, FatalErrors fatal, ConveyorConfig config) {
        CountDownLatch failed = new CountDownLatch(1);
        fatal.failure().thenRun(failed::countDown);
        Thread waiter = Thread.currentThread();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            long start = System.nanoTime();
                            System.out.println();
                            System.out.println("Stopping Conveyor...");
                            node.close();
                            System.out.printf("Stopped in %d ms.%n", (System.nanoTime() - start) / 1_000_000);
                            stopped.countDown();
                            waiter.interrupt();
                        },
                        "conveyor-shutdown"));
        try {
            failed.await();
        } catch (InterruptedException e) {
            // the shutdown hook stops the node; wait for it
            awaitQuietly(stopped);
            return 0;
        }
        FatalErrors.Failure failure = fatal.failure().toCompletableFuture().join();
        System.err.println("conveyor: " + config.redact(failure.part() + " stopped: " + failure.message()));
        node.close();
        return 1;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
