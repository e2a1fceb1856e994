package io.conveyor.rollups.internal;

import io.conveyor.rollups.RollupWindow;
import java.time.Duration;
import java.time.Instant;
import org.HdrHistogram.Histogram;

/** The figures of one open window of one type, built in memory; owned by one stream thread. */
final class WindowAggregate {
    private long succeeded;
    private long failed;
    private long cancelled;
    private long retries;
    private long arrivals;
    private long late;
    private final Histogram endToEnd = Sketches.histogram();
    private final Histogram queueWait = Sketches.histogram();
    private final Histogram run = Sketches.histogram();

    void add(Observation o, boolean isLate) {
        if (isLate) {
            late++;
        }
        switch (o.status()) {
            case QUEUED -> arrivals++;
            case RUNNING -> {}
            case RETRYING -> retries++;
            case SUCCEEDED -> succeeded++;
            case FAILED -> failed++;
            case CANCELLED -> cancelled++;
        }
        record(endToEnd, o.endToEndUs());
        record(queueWait, o.queueWaitUs());
        record(run, o.runUs());
    }

    private static void record(Histogram h, long micros) {
        if (micros >= 0) {
            h.recordValue(micros);
        }
    }

    RollupWindow toWindow(String type, Duration size, long startMs) {
        return new RollupWindow(
                type,
                size,
                Instant.ofEpochMilli(startMs),
                succeeded,
                failed,
                cancelled,
                retries,
                arrivals,
                late,
                new RollupWindow.Latency(endToEnd),
                new RollupWindow.Latency(queueWait),
                new RollupWindow.Latency(run));
    }
}
