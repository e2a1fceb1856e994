package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client connection that writes whatever bytes a test gives it, as fast or as slowly as it says:
 * malformed HTTP, or a request trickled a byte at a time. A virtual thread reads everything the
 * server sends until it closes the connection, and notes when. Thread-safe.
 */
final class RawSocket implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final long openedAt = System.nanoTime();
    private volatile long closedAt;
    private volatile Thread trickler;

    RawSocket(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().name("raw-socket-reader").start(this::read);
    }

    private void read() {
        byte[] buffer = new byte[8192];
        try (InputStream in = socket.getInputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                synchronized (received) {
                    received.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // reset by the server, or closed by this side: the connection is over either way
        } finally {
            closedAt = System.nanoTime();
            closed.countDown();
        }
    }

    /** Writes at once; false when the server has closed the connection. */
    boolean write(String text) {
        return write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    boolean write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes {@code bytes} one at a time, {@code every} apart, on a thread of its own, until done or refused. */
    void trickle(byte[] bytes, Duration every) {
        trickler = Thread.ofVirtual().name("raw-socket-trickler").start(() -> {
            for (byte b : bytes) {
                if (!write(new byte[] {b})) {
                    return;
                }
                try {
                    Thread.sleep(every); // the slow client's pace, not a wait for something to happen
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    void trickle(String text, Duration every) {
        trickle(text.getBytes(StandardCharsets.ISO_8859_1), every);
    }

    /** Waits until the server closed the connection; how long after it opened that was. */
    Duration awaitClosed(Duration atMost) {
        try {
            assertThat(closed.await(atMost.toMillis(), TimeUnit.MILLISECONDS))
                    .as("the server closed the connection within %s; received so far: %s", atMost, received())
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Duration.ofNanos(closedAt - openedAt);
    }

    boolean isClosed() {
        return closed.getCount() == 0;
    }

    /** Everything received so far, as ISO-8859-1 text (byte for byte). */
    String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Waits until {@code count} whole responses (with a Content-Length) have been received, and returns them. */
    List<Response> awaitResponses(int count, Duration atMost) {
        List<List<Response>> answers = new ArrayList<>();
        await().atMost(atMost).untilAsserted(() -> {
            List<Response> parsed = Response.parseAll(received());
            assertThat(parsed).as("responses in %s", received()).hasSizeGreaterThanOrEqualTo(count);
            answers.add(parsed);
        });
        return answers.getLast();
    }

    @Override
    public void close() {
        Thread t = trickler;
        if (t != null) {
            t.interrupt();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** One HTTP/1.1 response: status, headers (names in lower case) and body. */
    record Response(int status, java.util.Map<String, String> headers, String body) {
        /** The whole responses at the start of {@code text}, in order; a partial one at the end is left out. */
        static List<Response> parseAll(String text) {
            List<Response> responses = new ArrayList<>();
            int at = 0;
            while (true) {
                int end = text.indexOf("\r\n\r\n", at);
                if (end < 0) {
                    return responses;
                }
                String[] lines = text.substring(at, end).split("\r\n");
                java.util.Map<String, String> headers = new java.util.TreeMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    headers.put(
                            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
                int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
                if (text.length() < end + 4 + length) {
                    return responses;
                }
                String body = new String(
                        text.substring(end + 4, end + 4 + length).getBytes(StandardCharsets.ISO_8859_1),
                        StandardCharsets.UTF_8);
                responses.add(new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, body));
                at = end + 4 + length;
            }
        }
    }
}
