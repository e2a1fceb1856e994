package io.conveyor.producers;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects Vert.x's blocked-thread warnings ("Thread ... has been blocked for ... ms") through a
 * Log4j 2 appender on the root logger, while open, with the blocked thread's stack when Vert.x
 * logged one. Thread-safe.
 *
 * <p>{@link #inBlockingCalls()} keeps the warnings whose stack is inside a call that waits (a
 * Kafka {@code send}, a lock, a future, a sleep, socket I/O other than Netty's own read of a ready
 * channel). The others show an event loop that was computing, or waiting for a core, when it ran
 * out of time: on a shared 2-core machine under load, a thread can simply not
 * be scheduled for 10 ms. Set {@code -Dconveyor.test.strictBlockedThreads=true} to count those too.
 */
final class BlockedThreadLog implements AutoCloseable {
    private static final List<String> BLOCKING_FRAMES = List.of(
            "org.apache.kafka.clients.producer.KafkaProducer.send",
            "org.apache.kafka.clients.producer.KafkaProducer.waitOnMetadata",
            "org.apache.kafka.clients.producer.internals.BufferPool.allocate",
            "org.apache.kafka.clients.producer.KafkaProducer.flush",
            "java.util.concurrent.locks.LockSupport.park",
            "java.lang.Object.wait",
            "java.lang.Thread.sleep",
            "java.util.concurrent.CompletableFuture.get",
            "java.util.concurrent.CompletableFuture.join",
            "java.util.concurrent.FutureTask.get",
            "sun.nio.ch.SocketDispatcher.read",
            "java.net.Socket");

    /** Netty's read of a ready, non-blocking channel, under which a socket read cannot block. */
    private static final String NETTY_CHANNEL_READ = "io.netty.channel.socket.nio.NioSocketChannel.doReadBytes";

    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<String> blocking = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;

    BlockedThreadLog() {
        appender = new AbstractAppender("blocked-thread-log", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                String message = event.getMessage().getFormattedMessage();
                if (event.getLoggerName().contains("BlockedThreadChecker") || message.contains("has been blocked")) {
                    warnings.add(message);
                    Throwable stack = event.getThrown();
                    if (stack != null && !inNettysOwnRead(stack.getStackTrace())) {
                        for (StackTraceElement frame : stack.getStackTrace()) {
                            String name = name(frame);
                            if (BLOCKING_FRAMES.stream().anyMatch(name::startsWith)) {
                                blocking.add(message + " in " + name);
                                return;
                            }
                        }
                    }
                }
            }
        };
        appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(appender, Level.WARN, null);
        context.updateLoggers();
    }

    /**
     * Whether the event loop was caught in Netty reading a channel it was told is ready: Netty's
     * channels are non-blocking, so that socket read returns at once, and a thread seen there
     * after 10 ms was waiting for a core, not for the network (CI saw one at 33 ms while the machine
     * was busy). Socket reads from anywhere else still count as blocking.
     */
    private static boolean inNettysOwnRead(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            String name = name(frame);
            if (name.equals(NETTY_CHANNEL_READ)) {
                return true;
            }
            if (!name.startsWith("sun.nio.ch.") && !name.startsWith("io.netty.buffer.")) {
                return false; // the innermost frames are not a socket read under Netty's channel read
            }
        }
        return false;
    }

    private static String name(StackTraceElement frame) {
        return frame.getClassName() + "." + frame.getMethodName();
    }

    /** Every warning. */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The warnings that a test fails on: in a blocking call, or all of them in strict mode. */
    List<String> inBlockingCalls() {
        return Boolean.getBoolean("conveyor.test.strictBlockedThreads") ? warnings() : List.copyOf(blocking);
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.updateLoggers();
        appender.stop();
    }
}
