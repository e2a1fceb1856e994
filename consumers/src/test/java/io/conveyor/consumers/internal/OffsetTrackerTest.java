package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    @Test
    void commitsOnlyUpToTheLowestUnfinishedOffset() {
        OffsetTracker t = new OffsetTracker();
        for (long o = 10; o < 15; o++) {
            t.started(o);
        }
        t.finished(11);
        t.finished(13);
        assertThat(t.committable()).hasValue(10);
        t.finished(10);
        assertThat(t.committable()).hasValue(12);
        t.committed(12);
        assertThat(t.committable()).isEmpty();
        t.finished(12);
        t.finished(14);
        assertThat(t.committable()).hasValue(15);
    }

    @RepeatedTest(20)
    void outOfOrderCompletionNeverSkipsATask() {
        OffsetTracker t = new OffsetTracker();
        List<Long> offsets = new ArrayList<>();
        for (long o = 0; o < 200; o++) {
            t.started(o);
            offsets.add(o);
        }
        Collections.shuffle(offsets, new Random());
        List<Long> finished = new ArrayList<>();
        for (long o : offsets) {
            t.finished(o);
            finished.add(o);
            long committable = t.committable().orElse(0);
            for (long below = 0; below < committable; below++) {
                assertThat(finished).contains(below);
            }
        }
        assertThat(t.committable()).hasValue(200);
    }
}
