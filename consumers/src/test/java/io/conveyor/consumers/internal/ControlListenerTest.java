package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class ControlListenerTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Cancellations cancellations = new Cancellations(Clock.systemUTC(), Duration.ofDays(1));
    // apply() never touches the consumer: that is run()'s
    private final ControlListener listener = new ControlListener(
            null, "conveyor.control", cancellations, new io.conveyor.core.FatalErrors(), new WorkerMetrics(registry));
    private long offset;

    @Test
    void appliesCancellationsAndSkipsAndCountsWhatItCannotUse() {
        apply("t-1", "{\"action\":\"cancel\",\"requestedAt\":\"2026-11-23T10:00:00Z\",\"addedLater\":[1]}");
        apply(null, "{\"action\":\"cancel\"}");
        apply("", "{\"action\":\"cancel\"}");
        apply(new byte[] {(byte) 0xC3, 0x28}, utf8("{\"action\":\"cancel\"}"));
        apply("t-2", "not json");
        apply("t-3", "[1,2]");
        apply("t-4", "{\"action\":7}");
        apply("t-5", "{\"nothing\":true}");
        apply(utf8("t-6"), new byte[] {(byte) 0xFF, 0x00, 0x7B});
        apply("t-7", "{\"action\":\"pause\",\"queue\":\"high\"}");
        apply("t-8", "[".repeat(5_000) + "]".repeat(5_000));
        apply(utf8("t-9"), null); // a tombstone: the compacted topic's own

        assertThat(cancellations.isCancelled("t-1")).isTrue();
        for (int i = 2; i <= 9; i++) {
            assertThat(cancellations.isCancelled("t-" + i)).as("t-%d", i).isFalse();
        }
        assertThat(skipped("no_key")).isEqualTo(2);
        assertThat(skipped("unreadable")).isEqualTo(7);
        assertThat(skipped("unknown_action")).isEqualTo(1);
    }

    private double skipped(String reason) {
        return registry.get("conveyor.worker.control.skipped")
                .tag("reason", reason)
                .counter()
                .count();
    }

    private void apply(String key, String value) {
        apply(key == null ? null : utf8(key), utf8(value));
    }

    private void apply(byte[] key, byte[] value) {
        listener.apply(new ConsumerRecord<>("conveyor.control", 0, offset++, key, value));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
