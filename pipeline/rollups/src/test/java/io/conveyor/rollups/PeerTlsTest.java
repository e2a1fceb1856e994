package io.conveyor.rollups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.conveyor.core.ConfigLoader;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.infra.kafka.CertificateAuthority;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lookups between Conveyor processes over https: the caller trusts {@code http.tls.trust} and
 * presents its own {@code http.tls.cert} to a peer that requires client certificates.
 */
class PeerTlsTest {
    @TempDir
    Path dir;

    private CertificateAuthority ca;
    private HttpsServer server;

    @BeforeEach
    void start() throws Exception {
        ca = CertificateAuthority.create("ca", dir);
        CertificateAuthority.Identity rollup = ca.issue("rollup");
        SSLContext context = config(rollup).httpTls().clientContext();
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                var ssl = context.getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                params.setSSLParameters(ssl);
            }
        });
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void aCallerWithACertificateFromTheTrustedCaIsAnswered() throws Exception {
        try (RemoteStatusLookup lookup = RemoteStatusLookup.of(withUrl(config(ca.issue("api"))))) {
            assertThat(lookup.find("t-1").toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .isEmpty();
        }
    }

    @Test
    void aCallerWithoutACertificateIsRefusedWithAClearError() {
        ConveyorConfig noIdentity = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        "http.tls.trust",
                        ca.certificatePem().toString(),
                        "api.status.url",
                        "https://127.0.0.1:" + server.getAddress().getPort()));
        try (RemoteStatusLookup lookup = RemoteStatusLookup.of(noIdentity)) {
            assertThatThrownBy(() -> lookup.find("t-1").toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(StatusUnavailableException.class)
                    .hasMessageContaining("could not reach https://127.0.0.1:");
        }
    }

    private ConveyorConfig config(CertificateAuthority.Identity identity) {
        return ConfigLoader.load(null, Map.of(), settings(identity));
    }

    private ConveyorConfig withUrl(ConveyorConfig base) {
        return base.toBuilder()
                .set(
                        ConveyorConfig.API_STATUS_URL,
                        "https://127.0.0.1:" + server.getAddress().getPort())
                .build();
    }

    private Map<String, String> settings(CertificateAuthority.Identity identity) {
        Map<String, String> s = new HashMap<>();
        s.put("http.tls.cert", identity.certificatePem().toString());
        s.put("http.tls.key", identity.keyPem().toString());
        s.put("http.tls.trust", ca.certificatePem().toString());
        return s;
    }
}
