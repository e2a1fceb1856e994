package io.conveyor.rollups.internal;

import io.conveyor.core.Meters;
import io.conveyor.core.ThrottledWarning;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records the rollups read and cannot use, counted in {@code
 * conveyor_rollup_skipped_records_total{topic, reason}} and logged at most once per interval
 * ({@link ThrottledWarning}): a burst of garbage costs a counter increment per record, not a log
 * line. A record read again (after an aborted transaction, or a restore) counts again.
 *
 * <p>Topics: {@link #TASKS} (the arrivals read the task topics; an undecodable task is the
 * worker's to dead-letter and report, so it is counted here without a warning), {@link #RESULTS}
 * (the status table and the windows), {@link #ROLLUPS} (the closed windows read back). Reasons:
 * {@code unreadable}, {@code no_value} (a tombstone), {@code no_key} (a result without a task id).
 *
 * <p>Thread-safe: the stream threads and the rollup reader's thread share one.
 */
public final class SkippedRecords {
    public static final String TASKS = "tasks";
    public static final String RESULTS = "results";
    public static final String ROLLUPS = "rollups";
    public static final String UNREADABLE = "unreadable";
    public static final String NO_VALUE = "no_value";
    public static final String NO_KEY = "no_key";

    private static final Logger log = LoggerFactory.getLogger(SkippedRecords.class);

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final ThrottledWarning warning = new ThrottledWarning(log);

    /** Counting in {@code registry}, registered at 0 for every topic and reason; null counts nowhere. */
    public SkippedRecords(MeterRegistry registry) {
        this.registry = registry;
        if (registry != null) {
            for (String topic : new String[] {TASKS, RESULTS, ROLLUPS}) {
                counter(topic, UNREADABLE);
                counter(topic, NO_VALUE);
            }
            counter(RESULTS, NO_KEY);
        }
    }

    /** Counts nowhere and only logs: for a topology built alone. */
    public static SkippedRecords uncounted() {
        return new SkippedRecords(null);
    }

    /**
     * Counts a record of {@code topic} skipped for {@code reason}; {@code where} (the topic's name,
     * or a place in it) and {@code why} go into the warning.
     */
    public void skipped(String topic, String reason, String where, String why) {
        Counter counter = counter(topic, reason);
        if (counter != null) {
            counter.increment();
        }
        if (topic.equals(TASKS)) {
            log.debug("Not a task, no arrival: {} ({}: {})", where, reason, why);
        } else {
            warning.warn("Skipping a record the rollups cannot read on {} ({}: {})", where, reason, why);
        }
    }

    private Counter counter(String topic, String reason) {
        if (registry == null) {
            return null;
        }
        return counters.computeIfAbsent(
                topic + "/" + reason, k -> Meters.counter(registry, Meters.ROLLUP_SKIPPED_RECORDS, topic, reason));
    }
}
