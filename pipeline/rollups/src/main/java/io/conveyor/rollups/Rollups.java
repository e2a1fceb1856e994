package io.conveyor.rollups;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatusLookup;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollup role: a Kafka Streams application (exactly-once) that keeps the task-status table.
 *
 * <p>Threads: Kafka Streams runs its own {@code <application.id>-StreamThread-N} threads;
 * lookups read the local store on virtual threads so callers (the HTTP event loop) never block.
 */
public final class Rollups implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Rollups.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics metrics;
    private final ExecutorService lookups = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("conveyor-lookup-", 0).factory());

    private Rollups(KafkaStreams streams, KafkaStreamsMetrics metrics) {
        this.streams = streams;
        this.metrics = metrics;
    }

    /** Starts the rollups; they become queryable once the streams reach RUNNING. */
    public static Rollups start(ConveyorConfig config, MeterRegistry registry) {
        TaskCodec codec = new TaskCodec();
        KafkaStreams streams = new KafkaStreams(StatusTopology.build(config.topics(), codec), properties(config));
        streams.setUncaughtExceptionHandler(e -> {
            log.error("Rollup stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .REPLACE_THREAD;
        });
        KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
        metrics.bindTo(registry);
        streams.start();
        log.info("Rollups started (application id {})", config.get(ConveyorConfig.ROLLUP_APPLICATION_ID));
        return new Rollups(streams, metrics);
    }

    static Properties properties(ConveyorConfig config) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.get(ConveyorConfig.ROLLUP_APPLICATION_ID));
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.get(ConveyorConfig.ROLLUP_STATE_DIR));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.putAll(config.kafkaProperties(KafkaClientKind.STREAMS));
        return props;
    }

    /** Whether the streams are running (and so the status table answers). */
    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Lookups against this instance's status table. */
    public TaskStatusLookup statusLookup() {
        return this::find;
    }

    private CompletionStage<Optional<TaskResult>> find(String taskId) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        ReadOnlyKeyValueStore<String, TaskResult> store =
                                streams.store(StoreQueryParameters.fromNameAndType(
                                        StatusTopology.STATUS_STORE, QueryableStoreTypes.keyValueStore()));
                        return Optional.ofNullable(store.get(taskId));
                    } catch (InvalidStateStoreException e) {
                        throw new StatusUnavailableException(
                                "the task-status table is not available yet (rollups are " + streams.state()
                                        + "); retry shortly",
                                e);
                    }
                },
                lookups);
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(5));
        metrics.close();
        lookups.shutdown();
        log.info("Rollups stopped");
    }
}
