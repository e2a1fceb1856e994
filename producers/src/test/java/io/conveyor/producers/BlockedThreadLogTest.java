package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;

/** Which of Vert.x's blocked-thread warnings {@link BlockedThreadLog} counts as a blocking call. */
class BlockedThreadLogTest {
    private static final Logger checker = LogManager.getLogger("io.vertx.core.impl.BlockedThreadChecker");
    private static final String WARNING =
            "Thread vert.x-eventloop-thread-0 has been blocked for 33 ms, time limit is 10 ms";

    /** The stack CI caught: Netty reading a ready channel, innermost frame first. */
    private static final StackTraceElement[] NETTY_READ = {
        frame("sun.nio.ch.SocketDispatcher", "read0"),
        frame("sun.nio.ch.SocketDispatcher", "read"),
        frame("sun.nio.ch.IOUtil", "readIntoNativeBuffer"),
        frame("sun.nio.ch.IOUtil", "read"),
        frame("sun.nio.ch.SocketChannelImpl", "read"),
        frame("io.netty.buffer.AdaptivePoolingAllocator$AdaptiveByteBuf", "setBytes"),
        frame("io.netty.buffer.AbstractByteBuf", "writeBytes"),
        frame("io.netty.channel.socket.nio.NioSocketChannel", "doReadBytes"),
        frame("io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe", "read"),
        frame("io.netty.channel.nio.NioIoHandler", "run"),
    };

    /** A socket read that waits, from a handler on the event loop. */
    private static final StackTraceElement[] HANDLER_READ = {
        frame("sun.nio.ch.SocketDispatcher", "read0"),
        frame("sun.nio.ch.SocketDispatcher", "read"),
        frame("sun.nio.ch.SocketChannelImpl", "read"),
        frame("io.conveyor.producers.SomeHandler", "handle"),
        frame("io.netty.channel.nio.NioIoHandler", "run"),
    };

    /** An event loop computing when it ran out of time. */
    private static final StackTraceElement[] COMPUTING = {
        frame("java.util.HashMap", "putVal"), frame("io.netty.channel.nio.NioIoHandler", "run"),
    };

    @Test
    void nettyReadingAReadyChannelIsNotABlockingCall() {
        assertThat(blockingCalls(NETTY_READ)).isEmpty();
    }

    @Test
    void anyOtherSocketReadIs() {
        assertThat(blockingCalls(HANDLER_READ)).containsExactly(WARNING + " in sun.nio.ch.SocketDispatcher.read0");
    }

    @Test
    void computingIsNot() {
        assertThat(blockingCalls(COMPUTING)).isEmpty();
    }

    private static List<String> blockingCalls(StackTraceElement[] stack) {
        try (BlockedThreadLog log = new BlockedThreadLog()) {
            Exception blocked = new Exception("Thread blocked");
            blocked.setStackTrace(stack);
            checker.warn(WARNING, blocked);
            assertThat(log.warnings()).containsExactly(WARNING);
            return log.inBlockingCalls();
        }
    }

    private static StackTraceElement frame(String type, String method) {
        return new StackTraceElement(type, method, null, -1);
    }
}
