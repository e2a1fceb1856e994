/** Machinery behind the brokers: KRaft node lifecycle, server properties, ports, temp dirs. */
package io.conveyor.infra.kafka.internal;
