package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PublisherTest {
    @Test
    void theNotBeforeHeaderNeverFallsBeforeTheDueTime() {
        Instant due = Instant.parse("2026-11-24T05:21:33.442907548Z");
        long millis = Publisher.notBeforeMillis(due);
        assertThat(Instant.ofEpochMilli(millis)).isAfterOrEqualTo(due);
        assertThat(millis).isEqualTo(due.toEpochMilli() + 1);
    }

    @Test
    void aWholeMillisecondIsKeptAsItIs() {
        Instant due = Instant.parse("2026-11-24T05:21:33.442Z");
        assertThat(Publisher.notBeforeMillis(due)).isEqualTo(due.toEpochMilli());
    }
}
