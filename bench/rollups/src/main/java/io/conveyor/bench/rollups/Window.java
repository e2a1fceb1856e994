package io.conveyor.bench.rollups;

/**
 * A row's measured window: the records read in it, its wall time, the subject's CPU time, and the
 * JIT's CPU time; and from the pass's first record read to its end, the wall time and the JIT's
 * CPU time (for the warm-up).
 */
record Window(long records, long nanos, long cpuNanos, long jitCpuNanos, long readingNanos, long readingJitNanos) {}
