package io.conveyor.rollups.internal;

import io.conveyor.core.TaskResult;
import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The results side of the windows: turns each result that adds something into an {@link
 * Observation} keyed by its type, and every punctuation interval (wall clock) sends this
 * partition's {@link Signal.Progress}: the latest event time seen, or the wall clock once the
 * partition is idle: nothing arrived for two intervals after a fresh result (written at most
 * {@code lag} before it was read), or for {@code idleTimeout} ({@code rollup.idle.timeout.ms})
 * after an old one (a backlog that drained) or since the start. A partition that is still restoring (it does not punctuate)
 * or catching up a backlog sends only its event time, so windows never close ahead of results
 * still to come.
 *
 * <p>Threads: one stream thread owns an instance.
 */
public final class ObserveProcessor implements Processor<String, TaskResult, String, Signal> {
    private final Duration punctuate;
    private final long lagMs;
    private final long idleTimeoutMs;
    /** Whether the last result read was fresh; false until one is. */
    private boolean caughtUp;

    private ProcessorContext<String, Signal> context;
    private int partition;
    private long streamTime;
    private long lastActivity;

    /**
     * @param lag how old (by record timestamp) a result may be when read for the partition to count
     *     as caught up; the grace is a natural choice
     */
    public ObserveProcessor(Duration punctuate, Duration lag, Duration idleTimeout) {
        this.punctuate = punctuate;
        this.lagMs = Math.max(lag.toMillis(), 2 * punctuate.toMillis());
        this.idleTimeoutMs = Math.max(idleTimeout.toMillis(), 2 * punctuate.toMillis());
    }

    @Override
    public void init(ProcessorContext<String, Signal> context) {
        this.context = context;
        this.partition = context.taskId().partition();
        this.streamTime = -1;
        this.lastActivity = context.currentSystemTimeMs();
        this.caughtUp = false;
        context.schedule(punctuate, PunctuationType.WALL_CLOCK_TIME, this::progress);
    }

    @Override
    public void process(Record<String, TaskResult> record) {
        TaskResult result = record.value();
        if (result == null) {
            return;
        }
        lastActivity = context.currentSystemTimeMs();
        caughtUp = lastActivity - record.timestamp() <= lagMs;
        Observation o = Observation.of(result);
        streamTime = Math.max(
                streamTime, o != null ? o.eventTimeMs() : result.updatedAt().toEpochMilli());
        if (o != null) {
            context.forward(record.withKey(o.type()).withValue((Signal) o));
        }
    }

    private void progress(long wallClock) {
        long quietFor = caughtUp ? 2 * punctuate.toMillis() : idleTimeoutMs;
        boolean idle = wallClock - lastActivity >= quietFor;
        long time = idle ? Math.max(streamTime, wallClock) : streamTime;
        if (time >= 0) {
            context.forward(new Record<>("", new Signal.Progress(partition, time), wallClock));
        }
    }
}
