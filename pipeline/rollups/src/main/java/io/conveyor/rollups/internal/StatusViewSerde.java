package io.conveyor.rollups.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.Json;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskError;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The task views in the status store and its changelog, in a compact binary form: the store reads
 * a view for each task a commit interval brings and writes each changed view once per commit, and
 * JSON there cost about a sixth of the rollups' CPU (when it read and wrote one per result). A
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
        byte[] id = utf8(v.taskId());
        byte[] type = utf8(v.type());
        byte[] worker = utf8(v.workerId());
        byte[] result = v.result() == null ? null : Json.jsonBytes(v.result());
        byte[] kind = v.error() == null ? null : utf8(v.error().kind());
        byte[] message = v.error() == null ? null : utf8(v.error().message());
        int size = 1
                + length(id)
                + length(type)
                + 1
                + Integer.BYTES
                + length(worker)
                + length(v.submittedAt())
                + length(v.startedAt())
                + length(v.finishedAt())
                + length(v.updatedAt())
                + length(result)
                + 1
                + (v.error() == null ? 0 : length(kind) + length(message));
        ByteBuffer out = ByteBuffer.allocate(size).put(VERSION);
        bytes(out, id);
        bytes(out, type);
        out.put((byte) v.status().ordinal()).putInt(v.attempt());
        bytes(out, worker);
        instant(out, v.submittedAt());
        instant(out, v.startedAt());
        instant(out, v.finishedAt());
        instant(out, v.updatedAt());
        bytes(out, result);
        out.put((byte) (v.error() == null ? 0 : 1));
        if (v.error() != null) {
            bytes(out, kind);
            bytes(out, message);
        }
        return out.array();
    }

    static TaskResult decode(TaskCodec codec, byte[] bytes) {
        try {
            if (bytes.length > 0 && bytes[0] == '{') {
                return codec.decodeResult(bytes);
            }
            ByteBuffer in = ByteBuffer.wrap(bytes);
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalStateException("a status view in format " + version + " is not known to this"
                        + " version of Conveyor (it writes " + VERSION + "); run the newer version, or reset the"
                        + " rollups' application id");
            }
            String id = string(in);
            String type = string(in);
            TaskStatus status = TaskStatus.values()[in.get()];
            int attempt = in.getInt();
            String worker = string(in);
            Instant submitted = instant(in);
            Instant started = instant(in);
            Instant finished = instant(in);
            Instant updated = instant(in);
            JsonNode result = null;
            int resultLength = in.getInt();
            if (resultLength >= 0) {
                result = Json.rawJson(bytes, in.position(), resultLength);
                in.position(in.position() + resultLength);
            }
            TaskError error = in.get() != 0 ? new TaskError(string(in), string(in)) : null;
            return new TaskResult(
                    id, type, status, attempt, worker, submitted, started, finished, updated, result, error);
        } catch (BufferUnderflowException
                | IllegalArgumentException
                | IndexOutOfBoundsException
                | MalformedTaskException e) {
            throw new IllegalStateException("an unreadable view in the status store: " + e, e);
        }
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int length(byte[] utf8) {
        return Integer.BYTES + (utf8 == null ? 0 : utf8.length);
    }

    private static int length(Instant t) {
        return 1 + (t == null ? 0 : Long.BYTES + Integer.BYTES);
    }

    private static void bytes(ByteBuffer out, byte[] utf8) {
        if (utf8 == null) {
            out.putInt(-1);
            return;
        }
        out.putInt(utf8.length).put(utf8);
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0) {
            return null;
        }
        String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }

    private static void instant(ByteBuffer out, Instant t) {
        out.put((byte) (t == null ? 0 : 1));
        if (t != null) {
            out.putLong(t.getEpochSecond()).putInt(t.getNano());
        }
    }

    private static Instant instant(ByteBuffer in) {
        return in.get() != 0 ? Instant.ofEpochSecond(in.getLong(), in.getInt()) : null;
    }
}
