package io.conveyor.core.internal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Random (version 4) UUIDs for task ids, as unguessable as {@link UUID#randomUUID()} but without
 * its cost: that takes every id from one shared, locked {@link SecureRandom} (about a tenth of the
 * API's CPU per task in a batch). Each platform thread here draws from its own AES-CTR keystream
 * (the construction of NIST's CTR_DRBG), keyed once from {@link SecureRandom}, 4 KiB at a time.
 * Virtual threads, which come and go, use {@link UUID#randomUUID()}. Thread-safe.
 */
public final class RandomIds {
    private static final ThreadLocal<Source> SOURCE = ThreadLocal.withInitial(Source::new);

    private RandomIds() {}

    /** A fresh random UUID. */
    public static UUID next() {
        return Thread.currentThread().isVirtual()
                ? UUID.randomUUID()
                : SOURCE.get().next();
    }

    private static final class Source {
        private static final int BLOCK = 4096;
        private final Cipher cipher;
        private final byte[] zeros = new byte[BLOCK];
        private final byte[] stream = new byte[BLOCK];
        private final ByteBuffer longs = ByteBuffer.wrap(stream);
        private int position = BLOCK;

        Source() {
            SecureRandom seed = new SecureRandom();
            byte[] key = new byte[16];
            byte[] counter = new byte[16];
            seed.nextBytes(key);
            seed.nextBytes(counter);
            try {
                cipher = Cipher.getInstance("AES/CTR/NoPadding");
                cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counter));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JVM has no AES/CTR cipher: " + e.getMessage(), e);
            }
        }

        UUID next() {
            if (position == BLOCK) {
                try {
                    cipher.update(zeros, 0, BLOCK, stream, 0);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("the AES keystream failed: " + e.getMessage(), e);
                }
                position = 0;
            }
            long msb = longs.getLong(position);
            long lsb = longs.getLong(position + 8);
            position += 16;
            msb = (msb & ~0xF000L) | 0x4000L; // version 4
            lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L; // IETF variant
            return new UUID(msb, lsb);
        }
    }
}
