package io.conveyor.rollups.internal;

import io.conveyor.core.BoundedLabels;
import io.conveyor.core.TaskResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The results side of the windows. Adds what each result counts ({@link Observation}) to this
 * results partition's part of its windows, in memory; every punctuation interval (wall clock) sends
 * the parts on, keyed by type ({@link Signal.Part}), and then this partition's {@link
 * Signal.Progress}: the latest event time seen, or the wall clock once the partition is idle:
 * nothing arrived for two intervals after a fresh result (written at most {@code lag} before it was
 * read), or for {@code idleTimeout} ({@code rollup.idle.timeout.ms}) after an old one (a backlog that
 * drained) or since the start. A partition that is still restoring (it does not punctuate) or
 * catching up a backlog sends only its event time, so windows never close ahead of results still
 * to come; and since a partition's parts go before its progress, a window closes only with every
 * part of it counted.
 *
 * <p>So the repartition topic carries a few parts per type and window each interval, not a record
 * per result. The parts not yet sent are written to the store at every commit ({@link OpenWindows},
 * {@link CommitHook}), so a restart neither loses nor repeats them. A result whose window may
 * already have closed (its end plus the grace is at or before the progress this partition last
 * sent) is sent on at once, so the window side counts it in its first open window without waiting.
 *
 * <p>Late: a result is late in a window that ended at or before the latest event time this
 * partition has seen.
 *
 * <p>Threads: one stream thread owns an instance.
 */
public final class ObserveProcessor implements Processor<String, TaskResult, String, Signal> {
    private final Duration punctuate;
    private final long lagMs;
    private final long idleTimeoutMs;
    private final long[] sizeMs;
    private final long graceMs;
    private final String storeName;
    private final String hookName;
    private final OpenWindows parts;
    /** Whether the last result read was fresh; false until one is. */
    private boolean caughtUp;

    private ProcessorContext<String, Signal> context;
    private BoundedLabels types;
    private int partition;
    private long streamTime;
    private long observedTime;
    private long reported;
    private long lastActivity;

    /**
     * @param lag how old (by record timestamp) a result may be when read for the partition to count
     *     as caught up; the grace is a natural choice
     */
    public ObserveProcessor(
            List<Duration> sizes,
            Duration grace,
            Duration punctuate,
            Duration lag,
            Duration idleTimeout,
            String storeName,
            String hookName) {
        this.punctuate = punctuate;
        this.lagMs = Math.max(lag.toMillis(), 2 * punctuate.toMillis());
        this.idleTimeoutMs = Math.max(idleTimeout.toMillis(), 2 * punctuate.toMillis());
        this.sizeMs = sizes.stream().mapToLong(Duration::toMillis).toArray();
        this.graceMs = grace.toMillis();
        this.storeName = storeName;
        this.hookName = hookName;
        this.parts = new OpenWindows(sizeMs);
    }

    @Override
    public void init(ProcessorContext<String, Signal> context) {
        this.context = context;
        KeyValueStore<Bytes, byte[]> store = context.getStateStore(storeName);
        parts.attach(store, context.getStateStore(hookName));
        this.types = new BoundedLabels(BoundedLabels.DEFAULT_MAX_TYPES);
        this.partition = context.taskId().partition();
        this.streamTime = -1;
        this.observedTime = -1;
        this.reported = -1;
        this.lastActivity = context.currentSystemTimeMs();
        this.caughtUp = false;
        context.schedule(punctuate, PunctuationType.WALL_CLOCK_TIME, this::progress);
    }

    @Override
    public void process(Record<String, TaskResult> record) {
        TaskResult result = record.value();
        if (result == null || record.key() == null) {
            return; // unreadable (logged by the serde) or unkeyed, as the status table drops them
        }
        lastActivity = context.currentSystemTimeMs();
        caughtUp = lastActivity - record.timestamp() <= lagMs;
        Observation o = Observation.of(result);
        if (o == null) {
            streamTime = Math.max(streamTime, result.updatedAt().toEpochMilli());
            return;
        }
        long t = o.eventTimeMs();
        streamTime = Math.max(streamTime, t);
        observedTime = Math.max(observedTime, t);
        String type = types.label(o.type());
        for (int i = 0; i < sizeMs.length; i++) {
            long start = t - Math.floorMod(t, sizeMs[i]);
            long end = start + sizeMs[i];
            boolean isLate = end <= observedTime;
            if (end + graceMs <= reported) {
                WindowAggregate alone = new WindowAggregate();
                alone.add(o, isLate);
                context.forward(new Record<>(type, new Signal.Part(type, sizeMs[i], start, alone), record.timestamp()));
            } else {
                parts.get(i, start, type).add(o, isLate);
            }
        }
    }

    private void progress(long wallClock) {
        for (int i = 0; i < sizeMs.length; i++) {
            for (Map.Entry<Long, Map<String, WindowAggregate>> w; (w = parts.pollFirst(i, Long.MAX_VALUE)) != null; ) {
                for (Map.Entry<String, WindowAggregate> e : w.getValue().entrySet()) {
                    Signal part = new Signal.Part(e.getKey(), sizeMs[i], w.getKey(), e.getValue());
                    context.forward(new Record<>(e.getKey(), part, wallClock));
                }
            }
        }
        long quietFor = caughtUp ? 2 * punctuate.toMillis() : idleTimeoutMs;
        boolean idle = wallClock - lastActivity >= quietFor;
        long time = idle ? Math.max(streamTime, wallClock) : streamTime;
        if (time >= 0) {
            context.forward(new Record<>("", new Signal.Progress(partition, time), wallClock));
            reported = Math.max(reported, time);
        }
    }
}
