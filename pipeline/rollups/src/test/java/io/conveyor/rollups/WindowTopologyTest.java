package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.Meters;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windowed rollups on {@link TopologyTestDriver} with a controlled wall clock: 10 s and 1 min
 * windows, 5 s grace, punctuation every second.
 */
class WindowTopologyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Topics TOPICS = new Topics("test", 1, Optional.empty());
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration TICK = Duration.ofSeconds(1);

    private final TaskCodec codec = new TaskCodec(Clock.fixed(T0, ZoneOffset.UTC));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicInteger ids = new AtomicInteger();

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private Instant wallClock = T0;
    private TestInputTopic<String, byte[]> results;
    private TestOutputTopic<String, RollupWindow> rollups;

    @BeforeEach
    void startDriver() {
        start();
    }

    private void start() {
        start(false);
    }

    /** The windows alone, or fed by the status table as in the rollups. */
    private void start(boolean withStatusTable) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "window-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        WindowTopology.Settings settings = new WindowTopology.Settings(
                List.of(Duration.ofMinutes(1), Duration.ofSeconds(10)), GRACE, TICK, registry);
        org.apache.kafka.streams.Topology topology;
        if (withStatusTable) {
            var builder = new org.apache.kafka.streams.StreamsBuilder();
            var counted = StatusTopology.addTo(
                    builder, StatusTopology.results(builder, TOPICS, codec), codec, Duration.ofDays(7));
            WindowTopology.addTo(builder, counted, TOPICS, settings);
            topology = builder.build();
        } else {
            topology = WindowTopology.build(TOPICS, codec, settings);
        }
        driver = new TopologyTestDriver(topology, props, T0);
        results = driver.createInputTopic(
                TOPICS.results(), new StringSerializer(), new ByteArraySerializer(), T0, Duration.ZERO);
        rollups = driver.createOutputTopic(
                TOPICS.rollups(),
                new StringDeserializer(),
                WindowTopology.serde().deserializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    /**
     * A task that ends twice (a worker crashed after its handler finished, and the task ran again)
     * counts once in the windows, with the end the status table keeps: the first.
     */
    @Test
    void aTaskThatEndsTwiceCountsOnceWithItsFirstEnd() {
        driver.close();
        start(true);
        TaskResult succeeded = terminal("echo", TaskStatus.SUCCEEDED, 0, 1_000, 2_000);
        publish(succeeded);
        publish(succeeded); // the same end again
        publish(new TaskResult(
                succeeded.taskId(),
                "echo",
                TaskStatus.FAILED,
                succeeded.attempt() + 1,
                "w-2",
                succeeded.submittedAt(),
                T0.plusMillis(3_000),
                T0.plusMillis(4_000),
                T0.plusMillis(4_000),
                null,
                new io.conveyor.core.TaskError("java.lang.IllegalStateException", "second run"))); // another end
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 1_000, 3_000)); // another task
        publish(queued("other", 15_000));
        advance(TICK);

        RollupWindow echo = rollups.readValuesToList().stream()
                .filter(w -> w.type().equals("echo") && w.window().equals("10s"))
                .findFirst()
                .orElseThrow();
        assertThat(List.of(echo.succeeded(), echo.failed(), echo.terminal())).containsExactly(2L, 0L, 2L);
        assertThat(echo.endToEnd().count()).isEqualTo(2);
    }

    @Test
    void countsEveryStatusOfAWindowExactly() {
        for (int i = 0; i < 3; i++) {
            publish(queued("echo", 1));
        }
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 1_000, 2_000));
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 2_000, 4_000));
        publish(terminal("echo", TaskStatus.FAILED, 0, 1_000, 3_000));
        publish(terminal("echo", TaskStatus.CANCELLED, 0, -1, 5_000));
        publish(retrying("echo", 2_000));
        publish(retrying("echo", 3_000));
        publish(terminal("cpu", TaskStatus.SUCCEEDED, 1_000, 2_000, 9_999));
        publish(running("echo", 4_000, false)); // an ordinary start adds nothing
        publish(running("echo", 4_000, true)); // nor does that of a task written straight to Kafka
        assertThat(rollups.isEmpty()).isTrue();

        publish(queued("other", 15_000)); // event time 15 s = end 10 s + grace 5 s
        assertThat(rollups.isEmpty()).isTrue();
        advance(TICK); // the results partition reports its progress: [0, 10 s) closes

        List<RollupWindow> closed = rollups.readValuesToList();
        assertThat(closed).extracting(RollupWindow::type).containsExactly("cpu", "echo");
        RollupWindow echo = closed.get(1);
        assertThat(echo.window()).isEqualTo("10s");
        assertThat(echo.start()).isEqualTo(T0);
        assertThat(List.of(echo.succeeded(), echo.failed(), echo.cancelled(), echo.retries(), echo.arrivals()))
                .containsExactly(2L, 1L, 1L, 2L, 3L);
        assertThat(echo.deadLetters()).isEqualTo(1);
        assertThat(echo.terminal()).isEqualTo(4);
        assertThat(echo.throughputPerSecond()).isEqualTo(0.4);
        assertThat(echo.late()).isZero();
        assertThat(echo.endToEnd().count()).isEqualTo(4);
        assertThat(echo.queueWait().count()).isEqualTo(3);
        assertThat(echo.run().count()).isEqualTo(3);
        assertThat(echo.endToEnd().maxSeconds()).isEqualTo(5.0, within());
        assertThat(echo.run().maxSeconds()).isEqualTo(2.0, within());
        RollupWindow cpu = closed.get(0);
        assertThat(cpu.succeeded()).isEqualTo(1);
        assertThat(cpu.queueWait().maxSeconds()).isEqualTo(1.0, within());
        assertThat(cpu.run().maxSeconds()).isEqualTo(7.999, within());
        assertThat(cpu.endToEnd().quantileSeconds(0.5)).isEqualTo(8.999, within());
    }

    @Test
    void windowsCloseOnTheWallClockWithoutNewResultsAndAreEmittedOnce() {
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 3_000));
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 12_000));

        advance(Duration.ofSeconds(14)); // wall clock 14 s: [0, 10 s) is in its grace
        assertThat(rollups.isEmpty()).isTrue();
        advance(TICK); // 15 s: closes, although no result arrived since
        assertThat(rollups.readValuesToList())
                .singleElement()
                .satisfies(w -> assertThat(w.start()).isEqualTo(T0))
                .satisfies(w -> assertThat(w.succeeded()).isEqualTo(1));

        for (int i = 0; i < 10; i++) {
            advance(TICK); // up to 25 s: [10 s, 20 s) closes, once
        }
        List<RollupWindow> next = rollups.readValuesToList();
        assertThat(next).singleElement().satisfies(w -> assertThat(w.start()).isEqualTo(T0.plusSeconds(10)));

        advance(Duration.ofSeconds(10)); // 35 s: the empty window after the last one, once
        assertThat(rollups.readValuesToList())
                .singleElement()
                .satisfies(w -> assertThat(w.start()).isEqualTo(T0.plusSeconds(20)))
                .satisfies(w -> assertThat(w.terminal()).isZero());

        advance(Duration.ofSeconds(40)); // 75 s: the minute closes, with both tasks
        assertThat(rollups.readValuesToList())
                .singleElement()
                .satisfies(w -> assertThat(w.window()).isEqualTo("1m"))
                .satisfies(w -> assertThat(w.succeeded()).isEqualTo(2));
        for (int i = 0; i < 120; i++) {
            advance(TICK);
        }
        assertThat(rollups.readValuesToList())
                .extracting(RollupWindow::window, RollupWindow::terminal)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("1m", 0L)); // the empty minute after, once
    }

    @Test
    void countsLateResultsWithinTheGraceAndLaterOnesInTheFirstWindowStillOpen() {
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 12_000)); // stream time 12 s
        publish(terminal("echo", TaskStatus.FAILED, 0, 10, 8_000)); // [0, 10 s) ended, in its grace: late
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 16_000)); // 16 s: [0, 10 s) closes
        advance(TICK);
        publish(terminal("echo", TaskStatus.CANCELLED, 0, -1, 9_000)); // after its grace: re-dated

        RollupWindow first = rollups.readValuesToList().getFirst();
        assertThat(first.start()).isEqualTo(T0);
        assertThat(first.failed()).isEqualTo(1);
        assertThat(first.late()).isEqualTo(1);
        assertThat(first.cancelled()).isZero();
        assertThat(counter(Meters.ROLLUP_LATE_RECORDS.prometheusName(), "10s")).isEqualTo(1);
        assertThat(counter(Meters.ROLLUP_REDATED_RECORDS.prometheusName(), "10s"))
                .isEqualTo(1);
        assertThat(counter(Meters.ROLLUP_REDATED_RECORDS.prometheusName(), "1m"))
                .isZero();

        publish(queued("echo", 26_000)); // [10 s, 20 s) closes: it took the re-dated result, as late
        advance(TICK);
        RollupWindow second = rollups.readValuesToList().stream()
                .filter(w -> w.window().equals("10s"))
                .findFirst()
                .orElseThrow();
        assertThat(second.start()).isEqualTo(T0.plusSeconds(10));
        // its own two (12 s, 16 s), and the cancellation of [0, 10 s), late
        assertThat(List.of(second.succeeded(), second.cancelled(), second.late()))
                .containsExactly(2L, 1L, 1L);

        publish(queued("echo", 65_000)); // the minute closes: it took the 10 s result in its own window
        advance(TICK);
        RollupWindow minute = rollups.readValuesToList().stream()
                .filter(w -> w.window().equals("1m"))
                .findFirst()
                .orElseThrow();
        assertThat(List.of(minute.succeeded(), minute.failed(), minute.cancelled()))
                .containsExactly(2L, 1L, 1L);
    }

    @Test
    void aResultsPartitionCatchingUpClosesWindowsByEventTimeNotTheWallClock() {
        Instant fiveMinutesAgo = T0.minus(Duration.ofMinutes(5));
        for (int i = 0; i < 30; i++) { // a backlog: results written five minutes ago, read only now
            TaskResult r = terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 1_000 + i * 100L - 300_000);
            results.pipeInput(r.taskId(), codec.encode(r), fiveMinutesAgo.plusMillis(i * 100L));
            advance(TICK);
        }
        assertThat(rollups.isEmpty()).isTrue(); // 30 s of wall clock, but event time is 5 minutes behind
        advance(TICK.multipliedBy(5));
        assertThat(rollups.isEmpty()).isTrue(); // quiet, but after old results: may not be caught up yet
        advance(Duration.ofSeconds(55)); // quiet for a minute: the backlog drained, the wall clock closes
        assertThat(rollups.readValuesToList())
                .filteredOn(w -> w.window().equals("10s") && w.start().equals(fiveMinutesAgo))
                .singleElement()
                .satisfies(w -> assertThat(w.succeeded()).isEqualTo(30));
        assertThat(counter(Meters.ROLLUP_REDATED_RECORDS.prometheusName(), "10s"))
                .isZero();
    }

    @Test
    void anEmptyPartitionLetsTheWallClockCloseWindowsAMinuteAfterTheStart() {
        advance(Duration.ofSeconds(59));
        advance(Duration.ofSeconds(1)); // nothing for a minute since the start: idle; closes up to 50 s
        publish(terminal("echo", TaskStatus.SUCCEEDED, 0, 10, 5_000));
        assertThat(counter(Meters.ROLLUP_REDATED_RECORDS.prometheusName(), "10s"))
                .isEqualTo(1);
        assertThat(counter(Meters.ROLLUP_REDATED_RECORDS.prometheusName(), "1m"))
                .isZero();
    }

    private double counter(String prometheusName, String window) {
        String name = prometheusName.replace("_total", "").replace('_', '.');
        var c = registry.find(name).tag("window", window).counter();
        return c == null ? 0 : c.count();
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(0.005);
    }

    /** Moves the wall clock; results published from now on were written at the new time. */
    private void advance(Duration d) {
        wallClock = wallClock.plus(d);
        driver.advanceWallClockTime(d);
    }

    private void publish(TaskResult r) {
        results.pipeInput(r.taskId(), codec.encode(r), wallClock);
    }

    private TaskResult queued(String type, long atMs) {
        Instant at = T0.plusMillis(atMs);
        return new TaskResult(
                "t" + ids.incrementAndGet(), type, TaskStatus.QUEUED, 0, null, at, null, null, at, null, null);
    }

    private TaskResult running(String type, long atMs, boolean derivedId) {
        Instant at = T0.plusMillis(atMs);
        String id = derivedId
                ? TOPICS.tasks(io.conveyor.core.Priority.NORMAL) + "-0-" + ids.incrementAndGet()
                : "t" + ids.incrementAndGet();
        return new TaskResult(id, type, TaskStatus.RUNNING, 1, "w1", at, at, null, at, null, null);
    }

    private TaskResult retrying(String type, long atMs) {
        Instant at = T0.plusMillis(atMs);
        return new TaskResult(
                "t" + ids.incrementAndGet(),
                type,
                TaskStatus.RETRYING,
                1,
                "w1",
                T0,
                T0,
                at,
                at,
                null,
                new TaskError("x", "y"));
    }

    /** A terminal result; a negative start means the task never started. */
    private TaskResult terminal(String type, TaskStatus status, long submittedMs, long startedMs, long finishedMs) {
        Instant finished = T0.plusMillis(finishedMs);
        Instant started = startedMs < 0 ? null : T0.plusMillis(startedMs);
        return new TaskResult(
                "t" + ids.incrementAndGet(),
                type,
                status,
                1,
                "w1",
                T0.plusMillis(submittedMs),
                started,
                finished,
                finished,
                null,
                status == TaskStatus.SUCCEEDED ? null : new TaskError("x", "y"));
    }
}
