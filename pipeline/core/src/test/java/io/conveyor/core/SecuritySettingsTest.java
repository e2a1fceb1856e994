package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The security settings of docs/security.md, given once as {@code kafka.X}, reach every kind of
 * client and every kind of consumer: none of them is a setting that a group membership drops.
 */
class SecuritySettingsTest {
    private static final Map<String, String> SECURITY = Map.of(
            "security.protocol", "SASL_SSL",
            "sasl.mechanism", "SCRAM-SHA-512",
            "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "ssl.truststore.type", "PEM",
            "ssl.truststore.location", "/etc/conveyor/ca.pem",
            "ssl.keystore.type", "PKCS12",
            "ssl.keystore.location", "/etc/conveyor/worker.p12",
            "ssl.keystore.password", "pw",
            "ssl.key.password", "pw",
            "ssl.endpoint.identification.algorithm", "https");

    private final ConveyorConfig config = build();

    private static ConveyorConfig build() {
        ConveyorConfig.Builder b = ConveyorConfig.builder();
        SECURITY.forEach((k, v) -> b.set("kafka." + k, v, "test"));
        return b.build();
    }

    @Test
    void everyKindOfClientGetsThem() {
        for (KafkaClientKind kind : KafkaClientKind.values()) {
            assertThat(config.kafkaProperties(kind)).as("%s", kind).containsAllEntriesOf(SECURITY);
        }
    }

    @Test
    void everyKindOfConsumerGetsThem() {
        for (ConsumerMembership membership : ConsumerMembership.values()) {
            assertThat(config.consumerProperties(membership))
                    .as("%s", membership)
                    .containsAllEntriesOf(SECURITY);
        }
    }
}
