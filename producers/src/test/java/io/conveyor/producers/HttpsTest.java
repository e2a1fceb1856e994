package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.core.ConfigLoader;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.infra.kafka.CertificateAuthority;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP server with {@code http.tls.*}: HTTPS from a PEM certificate and key, and client
 * certificates required or requested from {@code http.tls.client.ca}. No Kafka needed.
 */
class HttpsTest {
    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private CertificateAuthority.Identity server;
    private CertificateAuthority.Identity client;

    @BeforeEach
    void certificates() {
        ca = CertificateAuthority.create("ca", dir);
        server = ca.issue("api");
        client = ca.issue("peer");
    }

    @Test
    void servesHttpsWithThePemCertificateAndRefusesPlainHttp() throws Exception {
        try (ApiServer api = start(Map.of())) {
            String url = "https://127.0.0.1:" + api.port() + "/health/live";
            assertThat(get(url, trustingClient(Map.of())).statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> get(url, HttpClient.newHttpClient()))
                    .as("the JVM's default trust store does not know the test CA")
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> get("http://127.0.0.1:" + api.port() + "/health/live", HttpClient.newHttpClient()))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void requiredClientCertificatesRefuseClientsWithoutOne() throws Exception {
        try (ApiServer api =
                start(Map.of("http.tls.client.ca", ca.certificatePem().toString()))) {
            String url = "https://127.0.0.1:" + api.port() + "/health/live";
            assertThatThrownBy(() -> get(url, trustingClient(Map.of()))).isInstanceOf(IOException.class);
            HttpClient withCertificate = trustingClient(Map.of(
                    "http.tls.cert", client.certificatePem().toString(),
                    "http.tls.key", client.keyPem().toString()));
            assertThat(get(url, withCertificate).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void requestedClientCertificatesLetClientsWithoutOneIn() throws Exception {
        try (ApiServer api = start(
                Map.of("http.tls.client.ca", ca.certificatePem().toString(), "http.tls.client.auth", "requested"))) {
            String url = "https://127.0.0.1:" + api.port() + "/health/live";
            assertThat(get(url, trustingClient(Map.of())).statusCode()).isEqualTo(200);
        }
    }

    private ApiServer start(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(extra);
        settings.put("http.port", "0");
        settings.put("http.host", "127.0.0.1");
        settings.put("http.tls.cert", server.certificatePem().toString());
        settings.put("http.tls.key", server.keyPem().toString());
        ConveyorConfig config = ConfigLoader.load(null, Map.of(), settings);
        return ApiServer.builder(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .start();
    }

    /** A client as another Conveyor process builds it: trusting the test CA, with the given identity. */
    private HttpClient trustingClient(Map<String, String> identity) {
        Map<String, String> settings = new HashMap<>(identity);
        settings.put("http.tls.trust", ca.certificatePem().toString());
        SSLContext context =
                ConfigLoader.load(null, Map.of(), settings).httpTls().clientContext();
        return HttpClient.newBuilder().sslContext(context).build();
    }

    private static HttpResponse<String> get(String url, HttpClient client) throws Exception {
        try (client) {
            return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
