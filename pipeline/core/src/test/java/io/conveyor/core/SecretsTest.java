package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The secrets rule: which keys are secret, and that their values never show in dumps or messages. */
class SecretsTest {
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"worker\" password=\"s3cr3t-scram\";";

    @Test
    void keysNamingPasswordsSecretsJaasTokensAndKeyMaterialAreSecret() {
        assertThat(Map.of(
                        "kafka.sasl.jaas.config", true,
                        "kafka.ssl.keystore.password", true,
                        "kafka.producer.ssl.key.password", true,
                        "kafka.ssl.keystore.key", true,
                        "kafka.ssl.truststore.certificates", true,
                        "kafka.sasl.oauthbearer.client.credentials.client.secret", true,
                        "api.keys", true,
                        "kafka.ssl.keystore.location", false,
                        "kafka.sasl.mechanism", false,
                        "http.tls.key", false))
                .allSatisfy((key, secret) ->
                        assertThat(Secrets.isSecret(key)).as(key).isEqualTo(secret));
    }

    @Test
    void theConfigurationDumpHidesSecretValuesAndKeepsTheRest() {
        ConveyorConfig config = ConfigLoader.load(
                null,
                Map.of("CONVEYOR_KAFKA_SSL_KEYSTORE_PASSWORD", "keystore-pw-77"),
                Map.of("kafka.sasl.jaas.config", JAAS, "kafka.security.protocol", "SASL_SSL"));

        assertThat(config.toString())
                .doesNotContain("s3cr3t-scram", "keystore-pw-77", "ScramLoginModule")
                .contains("kafka.sasl.jaas.config=[hidden]", "kafka.ssl.keystore.password=[hidden]")
                .contains("kafka.security.protocol=SASL_SSL");
        // the clients still get the real values
        assertThat(config.kafkaProperties(KafkaClientKind.ADMIN))
                .containsEntry("sasl.jaas.config", JAAS)
                .containsEntry("ssl.keystore.password", "keystore-pw-77");
    }

    @Test
    void messagesOthersBuiltLoseTheSecretValuesAndThePasswordInsideAJaasLine() {
        ConveyorConfig config = ConfigLoader.load(null, Map.of(), Map.of("kafka.sasl.jaas.config", JAAS));

        assertThat(config.redact("bad JAAS: " + JAAS)).isEqualTo("bad JAAS: [hidden]");
        assertThat(config.redact("Value of password is s3cr3t-scram")).isEqualTo("Value of password is [hidden]");
        assertThat(config.redact("nothing secret here")).isEqualTo("nothing secret here");
    }
}
