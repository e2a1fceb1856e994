package io.conveyor.rollups;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.rollups.internal.PeerClient;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Lookups answered by the rollup service at {@code api.status.url}, for processes that do not run
 * the rollups themselves ({@code conveyor api}): {@code GET <url>/internal/v1/tasks/{id}}, which
 * that instance answers from its own table or forwards to the instance holding the task. Failures
 * (timeout {@code rollup.lookup.timeout.ms}, unreachable, 503) complete with {@link
 * io.conveyor.core.StatusUnavailableException}, which the API answers with 503.
 *
 * <p>Threads: each lookup runs on its own virtual thread ({@code conveyor-remote-lookup-N}); the
 * caller is never blocked. Thread-safe.
 */
public final class RemoteStatusLookup implements TaskStatusLookup, AutoCloseable {
    private final String url;
    private final PeerClient client;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("conveyor-remote-lookup-", 0).factory());

    private RemoteStatusLookup(String url, PeerClient client) {
        this.url = url;
        this.client = client;
    }

    /**
     * The lookup of {@code api.status.url}.
     *
     * @throws IllegalArgumentException when {@code api.status.url} is not set
     */
    public static RemoteStatusLookup of(ConveyorConfig config) {
        String url = config.get(ConveyorConfig.API_STATUS_URL);
        if (url == null) {
            throw new IllegalArgumentException("api.status.url is not set; set it to a rollup instance's URL");
        }
        return new RemoteStatusLookup(url, PeerClient.of(config, new TaskCodec()));
    }

    /** Where lookups go. */
    public String url() {
        return url;
    }

    @Override
    public CompletionStage<Optional<TaskResult>> find(String taskId) {
        return CompletableFuture.supplyAsync(() -> client.find(url, taskId, false), threads);
    }

    @Override
    public void close() {
        threads.shutdown();
        client.close();
    }
}
