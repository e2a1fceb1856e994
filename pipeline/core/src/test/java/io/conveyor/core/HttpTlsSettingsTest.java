package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.infra.kafka.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The http.tls.* settings: files must be readable, pairs must be whole, schemes must agree. */
class HttpTlsSettingsTest {
    @TempDir
    Path dir;

    @Test
    void byDefaultTheServerSpeaksPlainHttp() {
        HttpTls tls = ConveyorConfig.defaults().httpTls();
        assertThat(tls.enabled()).isFalse();
        assertThat(tls.scheme()).isEqualTo("http");
        assertThat(tls.clientAuthRequired()).isTrue();
    }

    @Test
    void aCertificateAndItsKeyTurnHttpsOnAndMakeAClientContext() {
        CertificateAuthority ca = CertificateAuthority.create("ca", dir);
        CertificateAuthority.Identity id = ca.issue("api");
        ConveyorConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        "http.tls.cert", id.certificatePem().toString(),
                        "http.tls.key", id.keyPem().toString(),
                        "http.tls.client.ca", ca.certificatePem().toString(),
                        "http.tls.client.auth", "requested",
                        "http.tls.trust", ca.certificatePem().toString(),
                        "rollup.advertised.url", "https://127.0.0.1"));
        HttpTls tls = config.httpTls();
        assertThat(tls.enabled()).isTrue();
        assertThat(tls.scheme()).isEqualTo("https");
        assertThat(tls.clientAuthRequired()).isFalse();
        assertThat(tls.clientContext().getProtocol()).isEqualTo("TLS");
    }

    @Test
    void errorsNameTheKeyAndTheValue() throws Exception {
        CertificateAuthority.Identity id =
                CertificateAuthority.create("ca", dir).issue("api");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("http.tls.cert", "/no/such.pem")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "http.tls.cert must be a readable file, but was '/no/such.pem' (from flag --http.tls.cert)");
        assertThatThrownBy(() -> ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of("http.tls.cert", id.certificatePem().toString())))
                .hasMessage("http.tls.cert is set but http.tls.key is not; HTTPS needs both the certificate and its"
                        + " private key");
        assertThatThrownBy(() -> ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of("http.tls.client.ca", id.certificatePem().toString())))
                .hasMessageStartingWith("http.tls.client.ca is set but http.tls.cert is not");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("http.tls.client.auth", "maybe")))
                .hasMessage("http.tls.client.auth must be required or requested, but was 'maybe' (from flag"
                        + " --http.tls.client.auth)");
        assertThatThrownBy(() -> ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of(
                                "http.tls.cert", id.certificatePem().toString(),
                                "http.tls.key", id.keyPem().toString(),
                                "rollup.advertised.url", "http://rollup-1")))
                .hasMessageStartingWith("rollup.advertised.url 'http://rollup-1' must start with https://");
    }

    @Test
    void aKeyThatIsNotPkcs8IsNamedWithTheWayToConvertIt() throws Exception {
        CertificateAuthority.Identity id =
                CertificateAuthority.create("ca", dir).issue("api");
        Path rsa = Files.writeString(
                dir.resolve("rsa.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA" + " PRIVATE KEY-----\n");
        ConveyorConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of("http.tls.cert", id.certificatePem().toString(), "http.tls.key", rsa.toString()));
        assertThatThrownBy(() -> config.httpTls().clientContext())
                .hasMessageContaining("http.tls.key " + rsa)
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }
}
