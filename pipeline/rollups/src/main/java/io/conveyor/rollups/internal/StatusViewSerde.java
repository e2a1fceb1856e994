package io.conveyor.rollups.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The task views in the status store and its changelog, in a compact binary form: the store reads
 * and writes a view for every result, and JSON there cost about a sixth of the rollups' CPU. A
 * version byte leads ({@value #VERSION}); a value that starts with {@code '{'} is a view in the
 * results-topic JSON (as stores written before this format hold) and is read as such.
 *
 * <p>Layout after the version byte: id, type (strings), status ordinal (byte), attempt (int),
 * worker id (nullable string), submitted, started, finished (nullable instants), updated (instant),
 * result (nullable JSON text, kept as its bytes), error (a presence byte, then kind and message). A string is an int
 * length and UTF-8 bytes (-1 for null); an instant is epoch seconds (long) and nanos (int), with a
 * presence byte where nullable. Stateless and thread-safe.
 */
public final class StatusViewSerde {
    static final byte VERSION = 1;

    private StatusViewSerde() {}

    public static Serde<TaskResult> create(TaskCodec codec) {
        Serializer<TaskResult> serializer = (topic, view) -> view == null ? null : encode(view);
        Deserializer<TaskResult> deserializer = (topic, bytes) -> bytes == null ? null : decode(codec, bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    static byte[] encode(TaskResult v) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            string(out, v.taskId());
            string(out, v.type());
            out.writeByte(v.status().ordinal());
            out.writeInt(v.attempt());
            string(out, v.workerId());
            instant(out, v.submittedAt());
            instant(out, v.startedAt());
            instant(out, v.finishedAt());
            instant(out, v.updatedAt());
            bytes(out, v.result() == null ? null : TaskCodec.jsonBytes(v.result()));
            out.writeBoolean(v.error() != null);
            if (v.error() != null) {
                string(out, v.error().kind());
                string(out, v.error().message());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static TaskResult decode(TaskCodec codec, byte[] bytes) {
        try {
            if (bytes.length > 0 && bytes[0] == '{') {
                return codec.decodeResult(bytes);
            }
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalStateException("a status view in format " + version + " is not known to this"
                        + " version of Conveyor (it writes " + VERSION + "); run the newer version, or reset the"
                        + " rollups' application id");
            }
            String id = string(in);
            String type = string(in);
            TaskStatus status = TaskStatus.values()[in.readByte()];
            int attempt = in.readInt();
            String worker = string(in);
            Instant submitted = instant(in);
            Instant started = instant(in);
            Instant finished = instant(in);
            Instant updated = instant(in);
            byte[] resultJson = bytes(in);
            JsonNode result = resultJson == null ? null : TaskCodec.rawJson(resultJson, 0, resultJson.length);
            TaskError error = in.readBoolean() ? new TaskError(string(in), string(in)) : null;
            return new TaskResult(
                    id, type, status, attempt, worker, submitted, started, finished, updated, result, error);
        } catch (IOException | MalformedTaskException e) {
            throw new IllegalStateException("an unreadable view in the status store: " + e.getMessage(), e);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(DataOutputStream out, byte[] utf8) throws IOException {
        if (utf8 == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String string(DataInputStream in) throws IOException {
        byte[] utf8 = bytes(in);
        return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        return length < 0 ? null : in.readNBytes(length);
    }

    private static void instant(DataOutputStream out, Instant t) throws IOException {
        out.writeBoolean(t != null);
        if (t != null) {
            out.writeLong(t.getEpochSecond());
            out.writeInt(t.getNano());
        }
    }

    private static Instant instant(DataInputStream in) throws IOException {
        return in.readBoolean() ? Instant.ofEpochSecond(in.readLong(), in.readInt()) : null;
    }
}
