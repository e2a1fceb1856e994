package io.conveyor.rollups;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Meters;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.Topics;
import io.conveyor.rollups.internal.CommitHook;
import io.conveyor.rollups.internal.ObserveProcessor;
import io.conveyor.rollups.internal.Signal;
import io.conveyor.rollups.internal.WindowProcessor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The windowed rollups: tumbling windows per task type (sizes {@code rollup.windows}, grace {@code
 * rollup.grace.ms}) over {@code conveyor.results}, each emitted once, when it closes, to {@code
 * conveyor.rollups} as a {@link RollupWindow} (JSON, keyed by type).
 *
 * <p>Shape: results → {@link ObserveProcessor} (store {@link #PARTS_STORE}): each results
 * partition adds its results up into parts of windows in memory and, every {@code
 * rollup.punctuate.interval.ms}, sends the parts keyed by type and then its progress → the internal
 * topic {@code <application.id>-rollup-observations-repartition} (parts by type, so each type's
 * windows are complete in one task; progress to every partition) → {@link WindowProcessor} with the
 * store {@link #STORE} → {@code conveyor.rollups}. Both sides keep their windows in memory and
 * write them to their store at every commit, in the commit's transaction. A window closes when
 * every results partition has got past its end plus the grace by event time, or is idle and the
 * wall clock has: quiet pipelines still close their windows, and results being restored or caught
 * up after a restart hold them open. A result that comes after its window closed anyway (held up by
 * a broker's failover, say) is counted, as late, in the first window still open: never dropped.
 */
public final class WindowTopology {
    /** The state store of the open windows. */
    public static final String STORE = "rollup-windows";

    /** The state store of each results partition's parts not yet sent on. */
    public static final String PARTS_STORE = "rollup-parts";

    private static final String STORE_HOOK = "rollup-windows-commit";
    private static final String PARTS_HOOK = "rollup-parts-commit";

    private WindowTopology() {}

    /**
     * What the windows need.
     *
     * @param sizes window sizes, smallest first
     * @param grace how long after its end a window takes late results
     * @param punctuate how often windows are closed by the wall clock
     * @param registry where the late and re-dated counters go
     * @param idleTimeout how long a results partition that read only old results, or none, must be
     *     quiet before the wall clock closes windows for it
     */
    public record Settings(
            List<Duration> sizes, Duration grace, Duration punctuate, MeterRegistry registry, Duration idleTimeout) {
        /** With the default idle timeout of a minute. */
        public Settings(List<Duration> sizes, Duration grace, Duration punctuate, MeterRegistry registry) {
            this(sizes, grace, punctuate, registry, Duration.ofMinutes(1));
        }

        public Settings {
            sizes = sizes.stream().sorted().toList();
            Objects.requireNonNull(grace, "grace");
            Objects.requireNonNull(punctuate, "punctuate");
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
        }

        public static Settings from(ConveyorConfig config, MeterRegistry registry) {
            return new Settings(
                    config.get(ConveyorConfig.ROLLUP_WINDOWS),
                    Duration.ofMillis(config.get(ConveyorConfig.ROLLUP_GRACE_MS)),
                    Duration.ofMillis(config.get(ConveyorConfig.ROLLUP_PUNCTUATE_INTERVAL_MS)),
                    registry,
                    Duration.ofMillis(config.get(ConveyorConfig.ROLLUP_IDLE_TIMEOUT_MS)));
        }
    }

    /** The windows alone over {@code <prefix>.results} (for tests; the rollups use {@link #addTo}). */
    public static Topology build(Topics topics, TaskCodec codec, Settings settings) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(builder, StatusTopology.results(builder, topics, codec), topics, settings);
        return builder.build();
    }

    /** Adds the windows, fed by {@code results}, to {@code builder}. */
    public static void addTo(
            StreamsBuilder builder, KStream<String, TaskResult> results, Topics topics, Settings settings) {
        List<Duration> sizes = settings.sizes();
        Counter[] late = new Counter[sizes.size()];
        Counter[] redated = new Counter[sizes.size()];
        for (int i = 0; i < sizes.size(); i++) {
            String label = RollupWindow.label(sizes.get(i));
            late[i] = Meters.counter(settings.registry(), Meters.ROLLUP_LATE_RECORDS, label);
            redated[i] = Meters.counter(settings.registry(), Meters.ROLLUP_REDATED_RECORDS, label);
        }
        // no caches: the processors write at commit time (CommitHook), and a cache would hold that back
        builder.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PARTS_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(CommitHook.builder(STORE_HOOK));
        builder.addStateStore(CommitHook.builder(PARTS_HOOK));
        results.process(
                        () -> new ObserveProcessor(
                                sizes,
                                settings.grace(),
                                settings.punctuate(),
                                settings.grace(),
                                settings.idleTimeout(),
                                PARTS_STORE,
                                PARTS_HOOK),
                        Named.as("rollup-observe"),
                        PARTS_STORE,
                        PARTS_HOOK)
                .repartition(Repartitioned.with(Serdes.String(), Signal.serde())
                        .withStreamPartitioner(Signal.partitioner())
                        .withName("rollup-observations"))
                .process(
                        () -> new WindowProcessor(
                                STORE, STORE_HOOK, sizes, settings.grace(), topics.partitions(), late, redated),
                        Named.as("rollup-windows"),
                        STORE,
                        STORE_HOOK)
                .to(topics.rollups(), Produced.with(Serdes.String(), serde()).withName("rollup-emit"));
    }

    /** {@link RollupWindow} as the JSON of {@code conveyor.rollups}. */
    public static Serde<RollupWindow> serde() {
        return Serdes.serdeFrom(
                (topic, w) -> w == null ? null : w.encode(),
                (topic, bytes) -> bytes == null ? null : RollupWindow.decode(bytes));
    }
}
