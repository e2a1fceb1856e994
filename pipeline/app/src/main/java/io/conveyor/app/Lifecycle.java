package io.conveyor.app;

import io.conveyor.app.internal.Node;
import java.util.concurrent.CountDownLatch;

/** Keeps a started node running until the process is told to stop (Ctrl-C, SIGTERM). */
final class Lifecycle {
    private Lifecycle() {}

    static void runUntilStopped(Node node) {
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
                        },
                        "conveyor-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
