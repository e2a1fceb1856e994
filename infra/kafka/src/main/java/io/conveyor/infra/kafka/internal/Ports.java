package io.conveyor.infra.kafka.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Probing and picking TCP ports; stateless. */
public final class Ports {

    private Ports() {}

    /** True if a server socket can bind {@code host:port} right now. */
    public static boolean canBind(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A port that was free on {@code host} a moment ago. Another process can take it before the
     * caller binds it; callers that pick ports this way retry on a bind failure.
     */
    public static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot bind any free port on " + host, e);
        }
    }
}
