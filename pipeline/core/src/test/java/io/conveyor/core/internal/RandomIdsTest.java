package io.conveyor.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class RandomIdsTest {
    @Test
    void idsAreVersion4UuidsAndNeverRepeatWithinOrAcrossThreads() throws Exception {
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50_000; i++) {
                    UUID id = RandomIds.next();
                    assertThat(id.version()).isEqualTo(4);
                    assertThat(id.variant()).isEqualTo(2);
                    seen.add(id);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(seen).hasSize(200_000);
    }

    @Test
    void everyBitOfTheRandomPartVaries() {
        long msbOr = 0;
        long msbAnd = -1;
        long lsbOr = 0;
        long lsbAnd = -1;
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            UUID id = RandomIds.next();
            msbOr |= id.getMostSignificantBits();
            msbAnd &= id.getMostSignificantBits();
            lsbOr |= id.getLeastSignificantBits();
            lsbAnd &= id.getLeastSignificantBits();
            texts.add(id.toString());
        }
        // all but the version (4 bits) and variant (2 bits) are seen both set and clear
        assertThat(Long.bitCount(msbOr & ~msbAnd)).isEqualTo(60);
        assertThat(Long.bitCount(lsbOr & ~lsbAnd)).isEqualTo(62);
        assertThat(texts)
                .hasSize(10_000)
                .allSatisfy(s -> assertThat(UUID.fromString(s).toString()).isEqualTo(s));
    }
}
