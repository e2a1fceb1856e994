package io.conveyor.rollups.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the results side sends the window side through the repartition topic: a {@link Part} of a
 * window (keyed by type) or the {@link Progress} of one results partition (sent to every window
 * partition).
 */
public sealed interface Signal permits Signal.Part, Signal.Progress {
    Logger log = LoggerFactory.getLogger(Signal.class);

    byte[] encode();

    /**
     * What one results partition counted in one window of one type since it last sent a part: the
     * window side adds the parts of every results partition up.
     *
     * @param size the window size in ms
     * @param start the window start in ms since the epoch
     */
    record Part(String type, long size, long start, WindowAggregate aggregate) implements Signal {
        static final byte TAG = 3;

        @Override
        public byte[] encode() {
            byte[] t = type.getBytes(StandardCharsets.UTF_8);
            byte[] a = aggregate.encode();
            return ByteBuffer.allocate(1 + 2 * Long.BYTES + Integer.BYTES + t.length + a.length)
                    .put(TAG)
                    .putLong(size)
                    .putLong(start)
                    .putInt(t.length)
                    .put(t)
                    .put(a)
                    .array();
        }

        static Part decode(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            long size = b.getLong();
            long start = b.getLong();
            int typeLength = b.getInt();
            String type = new String(bytes, b.position(), typeLength, StandardCharsets.UTF_8);
            int at = b.position() + typeLength;
            byte[] aggregate = java.util.Arrays.copyOfRange(bytes, at, bytes.length);
            return new Part(type, size, start, WindowAggregate.decode(aggregate));
        }
    }

    /**
     * How far one partition of the results topic has got: the latest event time it has seen, or the
     * wall clock while it is idle (caught up, nothing new for two punctuation intervals). A window
     * closes only once every results partition has got past its end plus the grace.
     */
    record Progress(int partition, long timeMs) implements Signal {
        static final byte TAG = 2;

        @Override
        public byte[] encode() {
            return ByteBuffer.allocate(1 + Integer.BYTES + Long.BYTES)
                    .put(TAG)
                    .putInt(partition)
                    .putLong(timeMs)
                    .array();
        }

        static Progress decode(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            return new Progress(b.getInt(), b.getLong());
        }
    }

    /** The signal, or null for a form this version does not know (logged; the window side skips it). */
    static Signal decode(byte[] bytes) {
        return switch (bytes.length == 0 ? -1 : bytes[0]) {
            case Progress.TAG -> Progress.decode(bytes);
            case Part.TAG -> Part.decode(bytes);
            default -> {
                log.warn(
                        "Skipping a record of unknown form (tag {}) on the rollups' repartition topic: written by"
                                + " another version of Conveyor",
                        bytes.length == 0 ? "none" : bytes[0]);
                yield null;
            }
        };
    }

    static Serde<Signal> serde() {
        Serializer<Signal> ser = (topic, s) -> s == null ? null : s.encode();
        Deserializer<Signal> de = (topic, bytes) -> bytes == null ? null : decode(bytes);
        return Serdes.serdeFrom(ser, de);
    }

    /** Parts by their key (the type), progress to every partition. */
    static StreamPartitioner<String, Signal> partitioner() {
        return (topic, key, value, partitions) -> {
            if (value instanceof Progress) {
                Set<Integer> all = new HashSet<>();
                for (int p = 0; p < partitions; p++) {
                    all.add(p);
                }
                return Optional.of(all);
            }
            return Optional.empty();
        };
    }
}
