package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The core pieces the submission API relies on: bounded labels, strict UTF-8, big numbers, api.* settings. */
class ApiContractTest {

    @Test
    void boundedLabelsKeepTheFirstValuesAndFoldTheRestIntoOther() {
        BoundedLabels labels = new BoundedLabels(3);
        assertThat(IntStream.range(0, 5).mapToObj(i -> labels.label("t" + i)))
                .containsExactly("t0", "t1", "t2", "other", "other");
        assertThat(labels.label("t1")).isEqualTo("t1");
        assertThat(labels.label("x".repeat(BoundedLabels.MAX_LENGTH + 1))).isEqualTo("other");
        assertThat(labels.label(null)).isEqualTo("other");
        assertThat(labels.size()).isEqualTo(3);
    }

    @Test
    void hugeFloatsStayNumbers() throws Exception {
        Task task = new TaskCodec()
                .readSubmission(Json.parse(
                        "{\"type\":\"echo\",\"payload\":{\"n\":1e400,\"f\":0.1}}".getBytes(StandardCharsets.UTF_8)));
        String encoded = new String(new TaskCodec().encode(task), StandardCharsets.UTF_8);

        assertThat(encoded).doesNotContain("Infinity").contains("\"n\":1E+400").contains("\"f\":0.1");
        JsonNode back = Json.parse(encoded.getBytes(StandardCharsets.UTF_8));
        assertThat(back.at("/payload/n").isNumber()).isTrue();
    }

    @Test
    void acceptsOnlyWellFormedUtf8() throws Exception {
        Json.requireUtf8("{\"type\":\"é中😀\"}".getBytes(StandardCharsets.UTF_8));
        for (byte[] bad : new byte[][] {
            {(byte) 0xC3, 0x28}, // bad continuation
            {(byte) 0xC0, (byte) 0x80}, // overlong NUL
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // encoded surrogate
            {(byte) 0xE4, (byte) 0xB8}, // truncated
            {(byte) 0xFF}
        }) {
            assertThatThrownBy(() -> Json.requireUtf8(bad))
                    .isInstanceOf(MalformedTaskException.class)
                    .hasMessageContaining("UTF-8");
        }
    }

    @Test
    void parsesAnyJsonValueFromASlice() throws Exception {
        byte[] bytes = "xx[1,2]yy".getBytes(StandardCharsets.UTF_8);
        assertThat(Json.parseValue(bytes, 2, 5).size()).isEqualTo(2);
        assertThatThrownBy(() -> Json.parseValue(bytes, 2, 0)).isInstanceOf(MalformedTaskException.class);
    }

    @Test
    void apiWatermarksMustBeOrdered() {
        ConveyorConfig defaults = ConveyorConfig.defaults();
        assertThat(defaults.get(ConveyorConfig.API_INFLIGHT_LOW))
                .isLessThan(defaults.get(ConveyorConfig.API_INFLIGHT_HIGH));
        assertThat(defaults.get(ConveyorConfig.API_BATCH_MAX)).isEqualTo(1_000);
        assertThat(defaults.get(ConveyorConfig.API_IDEMPOTENCY_WINDOW_MS)).isEqualTo(86_400_000L);
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set(ConveyorConfig.API_INFLIGHT_LOW, 900)
                        .set(ConveyorConfig.API_INFLIGHT_HIGH, 800)
                        .build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("api.inflight.low 900 must be below api.inflight.high 800");
    }
}
