/**
 * Kafka brokers for Conveyor: {@link io.conveyor.infra.kafka.EmbeddedKafkaBroker} (a real
 * single-node KRaft broker in this JVM, for {@code conveyor run} and tests), {@link
 * io.conveyor.infra.kafka.ContainerKafkaBroker} (Testcontainers), both behind {@link
 * io.conveyor.infra.kafka.KafkaBroker}, and {@link io.conveyor.infra.kafka.KafkaBrokerExtension},
 * the JUnit 5 extension that gives each test class one broker.
 */
package io.conveyor.infra.kafka;
