package io.conveyor.consumers.internal;

import org.apache.kafka.common.TopicPartition;

/**
 * A record the worker is done with: everything it caused is durably written, or (when {@code
 * done} is false) it must not be committed and will be read again by whoever owns the partition
 * next.
 */
record Completion(TopicPartition partition, long offset, Object owner, boolean done) {}
