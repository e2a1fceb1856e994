package io.conveyor.infra.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.infra.kafka.BrokerSecurity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void aSecuredClientListenerKeepsTheBrokersOwnTrafficOnLoopbackAndMakesTheAdminASuperUser(@TempDir Path files)
            throws Exception {
        Path pem = Files.writeString(files.resolve("broker.pem"), "key and chain");
        var security = new BrokerSecurity.SaslSsl(pem, pem, Map.of("admin", "pw-1"), "admin", true);
        Map<String, String> p = BrokerProperties.of("127.0.0.1", 9093, 40000, 40001, DIR, security, Map.of());

        assertThat(p)
                .containsEntry(
                        "listeners", "CLIENT://127.0.0.1:9093,INTERNAL://127.0.0.1:40001,CONTROLLER://127.0.0.1:40000")
                .containsEntry("advertised.listeners", "CLIENT://127.0.0.1:9093,INTERNAL://127.0.0.1:40001")
                .containsEntry(
                        "listener.security.protocol.map", "CLIENT:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT")
                .containsEntry("inter.broker.listener.name", "INTERNAL")
                .containsEntry("listener.name.client.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .containsEntry("listener.name.client.ssl.keystore.location", pem.toString())
                .containsEntry("authorizer.class.name", BrokerSecurity.AUTHORIZER)
                .containsEntry("super.users", "User:ANONYMOUS;User:admin");
        assertThat(security.scramArguments()).containsExactly("SCRAM-SHA-512=[name=admin,password=\"pw-1\"]");
        assertThat(security.toString()).doesNotContain("pw-1");

        var mtls = new BrokerSecurity.MutualTls(pem, pem, pem, "CN=admin", false);
        assertThat(BrokerProperties.of("127.0.0.1", 9093, 40000, 40001, DIR, mtls, Map.of()))
                .containsEntry("listener.name.client.ssl.client.auth", "required")
                .doesNotContainKey("authorizer.class.name");
    }

    @Test
    void ipv6HostIsBracketed() {
        assertThat(BrokerProperties.advertisedHost("::1")).isEqualTo("[::1]");
        assertThat(BrokerProperties.advertisedHost("::")).isEqualTo("[::1]");
    }
}
