package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class RecordHeadersTest {
    @Test
    void aNotBeforeHeaderIsEpochMillisWithinTheWireFormatElseTheRecordRunsNow() {
        assertThat(notBefore(" 1700000000000 ")).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(notBefore("-5")).isEqualTo(Instant.ofEpochMilli(-5));
        assertThat(notBefore("253402300799999")).isEqualTo(Instant.parse("9999-12-31T23:59:59.999Z"));
        // garbage must not hold the retry partition for ever
        assertThat(notBefore("253402300800000")).isNull();
        assertThat(notBefore("9223372036854775807")).isNull();
        assertThat(notBefore("tomorrow")).isNull();
        assertThat(notBefore("")).isNull();
        assertThat(notBefore("1e12")).isNull();
        assertThat(io.conveyor.core.RecordHeaders.notBefore(headers(new byte[] {(byte) 0xFF, '1'})))
                .isNull();
        assertThat(io.conveyor.core.RecordHeaders.notBefore(headers(null))).isNull();
        assertThat(io.conveyor.core.RecordHeaders.notBefore(new RecordHeaders()))
                .isNull();
    }

    private static Instant notBefore(String text) {
        return io.conveyor.core.RecordHeaders.notBefore(headers(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static RecordHeaders headers(byte[] value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(io.conveyor.core.RecordHeaders.NOT_BEFORE, value);
        return headers;
    }
}
