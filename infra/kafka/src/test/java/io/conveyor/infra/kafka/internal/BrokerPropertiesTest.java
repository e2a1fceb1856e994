package io.conveyor.infra.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerPropertiesTest {

    private static final Path DIR = Path.of("/tmp/kafka-test");

    @Test
    void singleCombinedNodeWithSeparateControllerPort() {
        Map<String, String> p = BrokerProperties.of("127.0.0.1", 9092, 40000, DIR, Map.of());

        assertThat(p)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:40000")
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:40000")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:9092")
                .containsEntry("log.dirs", DIR.toAbsolutePath().toString())
                .containsEntry("auto.create.topics.enable", "false")
                .containsEntry("group.initial.rebalance.delay.ms", "0");
    }

    @Test
    void internalTopicsFitOneNode() {
        Map<String, String> p = BrokerProperties.of("127.0.0.1", 9092, 40000, DIR, Map.of());

        assertThat(p)
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("share.coordinator.state.topic.replication.factor", "1")
                .containsEntry("share.coordinator.state.topic.min.isr", "1");
    }

    @Test
    void overridesWinOverDefaults() {
        Map<String, String> p =
                BrokerProperties.of("127.0.0.1", 9092, 40000, DIR, Map.of("auto.create.topics.enable", "true"));

        assertThat(p).containsEntry("auto.create.topics.enable", "true");
    }

    @Test
    void wildcardHostIsAdvertisedAsLoopback() {
        Map<String, String> p = BrokerProperties.of("0.0.0.0", 9092, 40000, DIR, Map.of());

        assertThat(p.get("listeners")).startsWith("PLAINTEXT://0.0.0.0:9092,");
        assertThat(p).containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:9092");
    }

    @Test
    void ipv6HostIsBracketed() {
        assertThat(BrokerProperties.advertisedHost("::1")).isEqualTo("[::1]");
        assertThat(BrokerProperties.advertisedHost("::")).isEqualTo("[::1]");
    }
}
