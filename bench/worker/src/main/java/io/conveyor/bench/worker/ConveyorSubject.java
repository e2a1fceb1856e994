package io.conveyor.bench.worker;

import io.conveyor.consumers.HandlerRegistry;
import io.conveyor.consumers.Worker;
import io.conveyor.core.ConveyorConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;

/**
 * Conveyor's worker as the system under test, with default settings but for the concurrency. The
 * system property {@value #GROUP_PROTOCOL_PROPERTY}, when set ({@code classic} or {@code consumer}),
 * overrides the group protocol of the worker's consumers, to compare the two consumer
 * implementations; unset, the worker's own choice ({@code consumer}) holds.
 */
final class ConveyorSubject implements Subject {
    static final String GROUP_PROTOCOL_PROPERTY = "bench.conveyor.group.protocol";

    private final Worker worker;
    private final MeterRegistry registry;

    private ConveyorSubject(Worker worker, MeterRegistry registry) {
        this.worker = worker;
        this.registry = registry;
    }

    static ConveyorSubject start(Target target) {
        return start(target, ConveyorConfig.WORKER_QUEUE_CAPACITY.defaultValue());
    }

    static ConveyorSubject start(Target target, String queueCapacity) {
        ConveyorConfig.Builder builder = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, target.bootstrap())
                .set(ConveyorConfig.TOPICS_PREFIX, target.topics().prefix())
                .set(ConveyorConfig.TOPICS_PARTITIONS, target.topics().partitions())
                .set(ConveyorConfig.WORKER_CONCURRENCY, target.concurrency())
                .set(ConveyorConfig.WORKER_QUEUE_CAPACITY, queueCapacity)
                .set(ConveyorConfig.WORKER_GROUP, target.group())
                .set(ConveyorConfig.WORKER_ID, "conveyor-bench");
        String protocol = System.getProperty(GROUP_PROTOCOL_PROPERTY);
        if (protocol != null) {
            builder.set(ConveyorConfig.KAFKA_PREFIX + "consumer.group.protocol", protocol, GROUP_PROTOCOL_PROPERTY);
        }
        ConveyorConfig config = builder.build();
        MeterRegistry registry = new SimpleMeterRegistry();
        Worker worker = Worker.start(
                config, HandlerRegistry.of(List.of(target.workload().handler())), registry);
        return new ConveyorSubject(worker, registry);
    }

    Worker worker() {
        return worker;
    }

    MeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        worker.close();
        registry.close();
    }
}
