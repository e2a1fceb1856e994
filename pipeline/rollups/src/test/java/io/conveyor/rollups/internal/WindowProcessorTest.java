package io.conveyor.rollups.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.TaskStatus;
import io.conveyor.rollups.RollupWindow;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The window side between commits, which the topology tests cannot show (their driver commits
 * after every record): a type's last window with data and the empty window after it never go out
 * in one transaction, so readers that keep the latest window per type see the one with data.
 */
class WindowProcessorTest {
    private static final Instant EPOCH = Instant.parse("2026-11-23T12:00:00Z");
    private static final Duration SIZE = Duration.ofSeconds(2);

    private final MockProcessorContext<String, RollupWindow> context = new MockProcessorContext<>();
    private CommitHook hook;
    private WindowProcessor processor;

    @BeforeEach
    void init() {
        MockStores.attach(
                context,
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore("rollup-windows"), Serdes.Bytes(), Serdes.ByteArray())
                        .withLoggingDisabled()
                        .build());
        hook = MockStores.attach(
                context, CommitHook.builder("rollup-windows-commit").build());
        context.setCurrentSystemTimeMs(EPOCH.plusSeconds(10).toEpochMilli());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        processor = new WindowProcessor(
                "rollup-windows",
                "rollup-windows-commit",
                List.of(SIZE),
                Duration.ofMillis(200),
                1,
                new Counter[] {registry.counter("late")},
                new Counter[] {registry.counter("redated")});
        processor.init(context);
    }

    @Test
    void theEmptyWindowAfterATypesLastOneWaitsForItsCommitAndASecondAfterIt() {
        WindowAggregate succeeded = new WindowAggregate();
        succeeded.add(new Observation("echo", TaskStatus.SUCCEEDED, EPOCH.toEpochMilli(), 900, 100, 800), false);
        signal(new Signal.Part("echo", SIZE.toMillis(), EPOCH.toEpochMilli(), succeeded));

        // closed late (after a start, or by the idle timeout): progress jumps ahead, twice before a
        // commit, with more than a second between them
        signal(new Signal.Progress(0, EPOCH.plusSeconds(10).toEpochMilli()));
        context.setCurrentSystemTimeMs(EPOCH.plusMillis(11_500).toEpochMilli());
        signal(new Signal.Progress(0, EPOCH.plusMillis(12_400).toEpochMilli()));
        assertThat(emitted())
                .as("only the window with data: no commit has carried it yet")
                .hasSize(1);
        assertThat(emitted().getFirst().succeeded()).isEqualTo(1);

        hook.flushCache(); // what Kafka Streams calls at the start of a commit
        context.setCurrentSystemTimeMs(EPOCH.plusMillis(12_000).toEpochMilli());
        signal(new Signal.Progress(0, EPOCH.plusMillis(14_400).toEpochMilli()));
        assertThat(emitted())
                .as("committed half a second ago: readers have not seen it for long")
                .hasSize(1);

        context.setCurrentSystemTimeMs(EPOCH.plusMillis(12_500).toEpochMilli());
        signal(new Signal.Progress(0, EPOCH.plusMillis(16_400).toEpochMilli()));
        assertThat(emitted()).hasSize(2);
        RollupWindow empty = emitted().get(1);
        assertThat(empty.type()).isEqualTo("echo");
        assertThat(empty.start()).isEqualTo(EPOCH.plus(SIZE));
        assertThat(empty.terminal()).isZero();

        context.setCurrentSystemTimeMs(EPOCH.plusSeconds(20).toEpochMilli());
        hook.flushCache();
        signal(new Signal.Progress(0, EPOCH.plusSeconds(30).toEpochMilli()));
        assertThat(emitted()).as("once").hasSize(2);
    }

    private void signal(Signal signal) {
        processor.process(new Record<>("k", signal, 0L));
    }

    private List<RollupWindow> emitted() {
        return context.forwarded().stream()
                .<RollupWindow>map(f -> f.record().value())
                .toList();
    }
}
