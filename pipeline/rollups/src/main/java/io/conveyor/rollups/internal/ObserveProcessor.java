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
 * partition's {@link Signal.Progress}: the latest event time seen, or the wall clock once nothing
 * arrived for two intervals. A partition that is still restoring or catching up a backlog sends no
 * wall-clock progress, so windows never close ahead of results still to come.
 *
 * <p>Threads: one stream thread owns an instance.
 */
public final class ObserveProcessor implements Processor<String, TaskResult, String, Signal> {
    private final Duration punctuate;
    private ProcessorContext<String, Signal> context;
    private int partition;
    private long streamTime;
    private long lastActivity;

    public ObserveProcessor(Duration punctuate) {
        this.punctuate = punctuate;
    }

    @Override
    public void init(ProcessorContext<String, Signal> context) {
        this.context = context;
        this.partition = context.taskId().partition();
        this.streamTime = -1;
        this.lastActivity = context.currentSystemTimeMs();
        context.schedule(punctuate, PunctuationType.WALL_CLOCK_TIME, this::progress);
    }

    @Override
    public void process(Record<String, TaskResult> record) {
        TaskResult result = record.value();
        if (result == null) {
            return;
        }
        lastActivity = context.currentSystemTimeMs();
        Observation o = Observation.of(result);
        streamTime = Math.max(
                streamTime, o != null ? o.eventTimeMs() : result.updatedAt().toEpochMilli());
        if (o != null) {
            context.forward(record.withKey(o.type()).withValue((Signal) o));
        }
    }

    private void progress(long wallClock) {
        boolean idle = wallClock - lastActivity >= 2 * punctuate.toMillis();
        long time = idle ? Math.max(streamTime, wallClock) : streamTime;
        if (time >= 0) {
            context.forward(new Record<>("", new Signal.Progress(partition, time), wallClock));
        }
    }
}
