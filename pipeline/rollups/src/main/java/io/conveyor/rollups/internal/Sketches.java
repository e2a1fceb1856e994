package io.conveyor.rollups.internal;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * The latency sketches: HdrHistograms of microseconds with 3 significant digits (values within
 * 0.1%) that grow to any range, so they can be merged ({@link Histogram#add}) across windows and
 * instances. Stored and sent in HdrHistogram's compressed encoding.
 */
public final class Sketches {
    /** Significant decimal digits kept: values are exact to 1 part in 1,000. */
    public static final int SIGNIFICANT_DIGITS = 3;

    private Sketches() {}

    public static Histogram histogram() {
        Histogram h = new Histogram(SIGNIFICANT_DIGITS);
        h.setAutoResize(true);
        return h;
    }

    public static byte[] bytes(Histogram h) {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buffer);
        byte[] out = new byte[length];
        buffer.flip();
        buffer.get(out);
        return out;
    }

    public static Histogram fromBytes(byte[] bytes) {
        try {
            Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
            h.setAutoResize(true);
            return h;
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not a compressed HdrHistogram: " + e.getMessage(), e);
        }
    }

    public static String encode(Histogram h) {
        return Base64.getEncoder().encodeToString(bytes(h));
    }

    public static Histogram decode(String base64) {
        return fromBytes(Base64.getDecoder().decode(base64));
    }
}
