package io.conveyor.consumers.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PausePolicyTest {
    private final TopicPartition high = new TopicPartition("c.tasks.high", 0);
    private final TopicPartition normal = new TopicPartition("c.tasks.normal", 0);
    private final TopicPartition retry = new TopicPartition("c.tasks.retry", 0);
    private final List<TopicPartition> all = List.of(high, normal, retry);
    private final PausePolicy policy = new PausePolicy("c.tasks.high", 100, 20);
    private final AtomicInteger pauses = new AtomicInteger();

    @Test
    void lowerPartitionsPauseFirstHighKeepsOnePollOfHeadroomAndBothResumeWithHysteresis() {
        assertThat(update(60, false)).isEmpty();
        assertThat(update(61, false)).containsExactlyInAnyOrder(normal, retry);
        assertThat(update(81, false)).containsExactlyInAnyOrder(high, normal, retry);
        assertThat(update(51, false)).as("hysteresis").containsExactlyInAnyOrder(high, normal, retry);
        assertThat(update(50, false)).isEmpty();
        assertThat(pauses).hasValue(1);
    }

    @Test
    void aLargeQueueResumesWhileThreePollsOfWorkAreStillHeld() {
        PausePolicy large = new PausePolicy("c.tasks.high", 5_000, 500);
        assertThat(large.update(4_001, false, all, pauses::incrementAndGet)).containsExactlyInAnyOrder(normal, retry);
        assertThat(large.update(3_501, false, all, pauses::incrementAndGet))
                .as("hysteresis")
                .containsExactlyInAnyOrder(normal, retry);
        assertThat(large.update(3_500, false, all, pauses::incrementAndGet)).isEmpty();
    }

    @Test
    void waitingHighPriorityWorkPausesTheLowerPartitions() {
        assertThat(update(5, true)).containsExactlyInAnyOrder(normal, retry);
        assertThat(update(5, false)).isEmpty();
        assertThat(pauses).hasValue(0);
    }

    @Test
    void newlyAssignedPartitionsArePausedWhenTheirWatermarkIsCrossed() {
        update(70, false);
        assertThat(policy.pauseOnAssign(normal)).isTrue();
        assertThat(policy.pauseOnAssign(high)).isFalse();
    }

    private java.util.Set<TopicPartition> update(int held, boolean highWaiting) {
        return policy.update(held, highWaiting, all, pauses::incrementAndGet);
    }
}
