package io.conveyor.rollups.internal;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * What the results side sends the window side through the repartition topic: an {@link
 * Observation} (keyed by type) or the {@link Progress} of one results partition (sent to every
 * window partition).
 */
public sealed interface Signal permits Observation, Signal.Progress {

    byte[] encode();

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

    static Signal decode(byte[] bytes) {
        return bytes[0] == Progress.TAG ? Progress.decode(bytes) : (Signal) Observation.decode(bytes);
    }

    static Serde<Signal> serde() {
        Serializer<Signal> ser = (topic, s) -> s == null ? null : s.encode();
        Deserializer<Signal> de = (topic, bytes) -> bytes == null ? null : decode(bytes);
        return Serdes.serdeFrom(ser, de);
    }

    /** Observations by their key (the type), progress to every partition. */
    static StreamPartitioner<String, Signal> partitioner() {
        return (topic, key, value, partitions) -> {
            if (value instanceof Progress) {
                java.util.Set<Integer> all = new java.util.HashSet<>();
                for (int p = 0; p < partitions; p++) {
                    all.add(p);
                }
                return java.util.Optional.of(all);
            }
            return java.util.Optional.empty();
        };
    }
}
