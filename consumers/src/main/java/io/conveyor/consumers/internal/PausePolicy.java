package io.conveyor.consumers.internal;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions the poll loop pauses, from the records it holds. Records held never exceed the
 * capacity: lower partitions (normal, low, retry) pause when two more polls could overflow it,
 * high-priority partitions when one could, so high work still gets in while the queue is full of
 * lower work; both resume once three polls' worth of room is free, or half the capacity if
 * that is less room (hysteresis). Resuming while the queue still holds work matters: the first fetch
 * after a resume is a round trip to the broker, and an emptied queue idles the run slots
 * meanwhile (at 5,000 records and polls of 500: pause above 4,000, resume at 3,500; resuming at
 * 2,500 cost the no-op worker benchmark about a quarter of its throughput). While high-priority records wait
 * for a run slot, lower partitions pause too (lower priorities yield). Owned by the poll thread:
 * not thread-safe.
 */
final class PausePolicy {
    private final String highTopic;
    private final int capacity;
    private final int resumeAt;
    private final int maxPollRecords;
    private boolean lowerFull;
    private boolean highFull;

    PausePolicy(String highTopic, int capacity, int maxPollRecords) {
        this.highTopic = highTopic;
        this.capacity = capacity;
        this.resumeAt = Math.max(capacity / 2, capacity - 3 * maxPollRecords);
        this.maxPollRecords = maxPollRecords;
    }

    /**
     * Updates the watermarks for {@code held} records and returns the assigned partitions to pause.
     *
     * @param onPause runs when the lower partitions have just filled up (a pause event)
     */
    Set<TopicPartition> update(int held, boolean highWaiting, Collection<TopicPartition> assignment, Runnable onPause) {
        if (!lowerFull && held + 2 * maxPollRecords > capacity) {
            lowerFull = true;
            onPause.run();
        } else if (lowerFull && held <= resumeAt) {
            lowerFull = false;
        }
        if (!highFull && held + maxPollRecords > capacity) {
            highFull = true;
        } else if (highFull && held <= resumeAt) {
            highFull = false;
        }
        Set<TopicPartition> paused = new HashSet<>();
        for (TopicPartition tp : assignment) {
            if (isHigh(tp) ? highFull : lowerFull || highWaiting) {
                paused.add(tp);
            }
        }
        return paused;
    }

    /** Whether a newly assigned partition must be paused before its first records arrive. */
    boolean pauseOnAssign(TopicPartition tp) {
        return isHigh(tp) ? highFull : lowerFull;
    }

    private boolean isHigh(TopicPartition tp) {
        return tp.topic().equals(highTopic);
    }
}
