package io.conveyor.bench.worker;

import io.conveyor.core.Topics;

/**
 * A running system under test: it consumes {@code <prefix>.tasks.normal} in the consumer group
 * {@code group}, runs each task's handler, writes two results per task and commits. Closing it
 * stops it.
 */
interface Subject extends AutoCloseable {

    /** Where and what a subject runs. */
    record Target(String bootstrap, Topics topics, String group, Workload workload, int concurrency) {}

    /** The implementations compared. */
    enum Kind {
        BASELINE("hand-written loop"),
        CONVEYOR("Conveyor"),
        PARALLEL_CONSUMER("Parallel Consumer 0.5.3.3");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }

        Subject start(Target target) {
            return switch (this) {
                case BASELINE -> HandWrittenLoop.start(target);
                case CONVEYOR -> ConveyorSubject.start(target);
                case PARALLEL_CONSUMER -> ParallelConsumerSubject.start(target);
            };
        }
    }

    @Override
    void close();
}
