package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RemoteStatusLookup} against a stand-in rollup instance (the JDK's HTTP server): each
 * answer of {@code /internal/v1/tasks/{id}} maps to a view, no view, or a 503 that says why.
 */
class RemoteStatusLookupTest {
    private static final TaskResult VIEW = new TaskResult(
            "a b/ü",
            "echo",
            TaskStatus.SUCCEEDED,
            1,
            "w1",
            Instant.parse("2026-11-23T08:00:00Z"),
            null,
            null,
            Instant.parse("2026-11-23T08:00:01Z"),
            null,
            null);

    private final List<String> paths = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            paths.add(exchange.getRequestURI().toString());
            byte[] body = new byte[0];
            int status;
            if (path.endsWith("/present")) {
                status = 200;
                body = new TaskCodec().encode(VIEW);
            } else if (path.endsWith("/absent")) {
                status = 204;
            } else if (path.endsWith("/busy")) {
                status = 503;
                body = "{\"error\":{\"code\":\"status_unavailable\",\"message\":\"rebalancing\"}}"
                        .getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/internal/")) {
                status = 200;
                body = new TaskCodec().encode(VIEW);
            } else {
                status = 404;
            }
            exchange.sendResponseHeaders(status, status == 204 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void mapsEachAnswer() throws Exception {
        try (RemoteStatusLookup lookup =
                lookup("http://127.0.0.1:" + server.getAddress().getPort())) {
            assertThat(find(lookup, "present")).contains(VIEW);
            assertThat(find(lookup, "absent")).isEmpty();
            assertThat(find(lookup, VIEW.taskId())).contains(VIEW);
            assertThat(paths).contains("/internal/v1/tasks/a%20b%2F%C3%BC");
            assertThatThrownBy(() -> find(lookup, "busy"))
                    .cause()
                    .isInstanceOf(StatusUnavailableException.class)
                    .hasMessageContaining("cannot look up task 'busy' right now")
                    .hasMessageContaining("rebalancing");
        }
    }

    @Test
    void aProcessThatServesNoLookupsIsNamed() throws Exception {
        server.removeContext("/");
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        try (RemoteStatusLookup lookup =
                lookup("http://127.0.0.1:" + server.getAddress().getPort())) {
            assertThatThrownBy(() -> find(lookup, "t-1"))
                    .cause()
                    .isInstanceOf(StatusUnavailableException.class)
                    .hasMessageContaining("does not serve /internal/v1/tasks/{id}")
                    .hasMessageContaining("api.status.url");
        }
    }

    @Test
    void anUnreachableInstanceIsA503() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        try (RemoteStatusLookup lookup = lookup("http://127.0.0.1:" + closed)) {
            assertThatThrownBy(() -> find(lookup, "t-1"))
                    .cause()
                    .isInstanceOf(StatusUnavailableException.class)
                    .hasMessageContaining("could not reach http://127.0.0.1:" + closed)
                    .hasMessageContaining("retry shortly");
        }
    }

    private static RemoteStatusLookup lookup(String url) {
        return RemoteStatusLookup.of(
                ConveyorConfig.builder().set(ConveyorConfig.API_STATUS_URL, url).build());
    }

    private static Optional<TaskResult> find(RemoteStatusLookup lookup, String id)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        return lookup.find(id).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
