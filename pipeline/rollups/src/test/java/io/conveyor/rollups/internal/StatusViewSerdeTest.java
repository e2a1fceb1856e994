package io.conveyor.rollups.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.conveyor.core.Json;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The binary form of status views: every field survives, nulls included; JSON views still read. */
class StatusViewSerdeTest {
    private static final Instant T0 = Instant.parse("2026-11-23T08:00:00.123456789Z");

    private final TaskCodec codec = new TaskCodec();
    private final Serde<TaskResult> serde = StatusViewSerde.create(codec);

    /**
     * The layout in the class comment, byte for byte (written out independently of the serde): views
     * in stores and changelogs written by earlier versions read the same, and new ones are the same.
     */
    @Test
    void theLayoutIsTheDocumentedOne() throws Exception {
        TaskResult cancelled = new TaskResult(
                "t-4", "x", TaskStatus.CANCELLED, 1, null, T0, null, null, T0, null, new TaskError("k", ""));
        TaskResult succeeded = new TaskResult(
                "t-5",
                "echo",
                TaskStatus.SUCCEEDED,
                2,
                "w",
                T0,
                Instant.ofEpochSecond(T0.getEpochSecond() + 1),
                Instant.ofEpochSecond(T0.getEpochSecond() + 2, 5),
                Instant.ofEpochSecond(T0.getEpochSecond() + 2, 5),
                Json.mapper().readTree("{\"ok\":true}"),
                null);
        String cancelledHex =
                "0100000003742d3400000001780500000001ffffffff01000000006b03f280075bcd15000001000000006b03f280"
                        + "075bcd15ffffffff01000000016b00000000";
        String succeededHex =
                "0100000003742d35000000046563686f0300000002000000017701000000006b03f280075bcd1501000000006b"
                        + "03f2810000000001000000006b03f2820000000501000000006b03f282000000050000000b7b226f6b223a747275657d00";
        assertThat(HexFormat.of().formatHex(StatusViewSerde.encode(cancelled))).isEqualTo(cancelledHex);
        assertThat(HexFormat.of().formatHex(StatusViewSerde.encode(succeeded))).isEqualTo(succeededHex);
        assertThat(StatusViewSerde.decode(codec, HexFormat.of().parseHex(cancelledHex)))
                .isEqualTo(cancelled);
        TaskResult back = StatusViewSerde.decode(codec, HexFormat.of().parseHex(succeededHex));
        assertThat(TaskCodec.withParsedOutput(back)).isEqualTo(succeeded);
    }

    @Test
    void everyViewRoundTrips() {
        List<TaskResult> views = List.of(
                new TaskResult("t-1", "echo", TaskStatus.QUEUED, 0, null, T0, null, null, T0, null, null),
                new TaskResult(
                        "t-ü/ 2",
                        "resize",
                        TaskStatus.SUCCEEDED,
                        3,
                        "worker-7",
                        T0,
                        T0.plusMillis(5),
                        T0.plusSeconds(2),
                        T0.plusSeconds(2),
                        JsonNodeFactory.instance.objectNode().put("ok", true).put("n", 2),
                        null),
                new TaskResult(
                        "t-3",
                        "fail",
                        TaskStatus.FAILED,
                        2,
                        "w",
                        null,
                        T0,
                        T0.plusNanos(1),
                        T0.plusNanos(1),
                        null,
                        new TaskError("java.lang.IllegalStateException", "bad \"input\"\nline 2")),
                new TaskResult(
                        "t-4", "x", TaskStatus.CANCELLED, 1, null, T0, null, null, T0, null, new TaskError("k", "")));
        for (TaskResult view : views) {
            byte[] bytes = serde.serializer().serialize("changelog", view);
            assertThat(bytes[0]).isEqualTo(StatusViewSerde.VERSION);
            TaskResult back = serde.deserializer().deserialize("changelog", bytes);
            // the output comes back as its bytes (passed on, never parsed): equal as JSON
            assertThat(back).usingRecursiveComparison().ignoringFields("result").isEqualTo(view);
            assertThat(tree(back.result())).isEqualTo(view.result());
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode tree(com.fasterxml.jackson.databind.JsonNode node) {
        try {
            return node == null ? null : Json.mapper().readTree(Json.jsonBytes(node));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void isSmallerThanTheJson() {
        TaskResult view = new TaskResult(
                "3f0c1b4e-6f1a-4d1e-9a8e-2b7c5d9e0f11",
                "echo",
                TaskStatus.SUCCEEDED,
                1,
                "worker-1",
                T0,
                T0.plusMillis(3),
                T0.plusMillis(40),
                T0.plusMillis(40),
                null,
                null);
        assertThat(serde.serializer().serialize("t", view).length).isLessThan(codec.encode(view).length);
    }

    @Test
    void readsViewsStoredAsJson() {
        TaskResult view = new TaskResult("t-1", "echo", TaskStatus.RUNNING, 1, "w1", T0, T0, null, T0, null, null);
        assertThat(serde.deserializer().deserialize("changelog", codec.encode(view)))
                .isEqualTo(view);
        assertThat(serde.deserializer().deserialize("changelog", null)).isNull();
    }

    @Test
    void anUnknownFormatSaysWhatToDo() {
        assertThatThrownBy(() -> serde.deserializer().deserialize("changelog", new byte[] {9, 0, 0}))
                .hasMessageContaining("format 9 is not known")
                .hasMessageContaining("reset the rollups' application id");
    }
}
