package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.infra.kafka.BrokerSecurity;
import io.conveyor.infra.kafka.CertificateAuthority;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every role, each in a JVM of its own, against a broker that requires mutual TLS (the principal
 * is the certificate's subject), with PKCS#12 key and trust stores behind passwords; every HTTP
 * server serves HTTPS and requires client certificates, so the API reaches the rollups only with
 * its own. A task goes end to end, and no log line, readiness answer or error output holds a
 * password or key material.
 */
class MutualTlsIT {
    private static final String KEYSTORE_PASSWORD = "keystore-Pa55-" + Long.toHexString(System.nanoTime());
    private static final String TRUSTSTORE_PASSWORD = "trust-Pa55-" + Long.toHexString(System.nanoTime());
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static CertificateAuthority ca;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        ca = CertificateAuthority.create("conveyor-test-ca", dir);
        CertificateAuthority.Identity admin = ca.issue("admin");
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                .security(new BrokerSecurity.MutualTls(
                        ca.issue("broker").keyStorePem(),
                        ca.certificatePem(),
                        admin.keyStorePem(),
                        admin.principalName(),
                        false))
                .build());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The settings of docs/security.md for mutual TLS, as a role's properties file holds them. */
    private static Map<String, String> settings(String keyStorePassword, String prefix) {
        CertificateAuthority.Identity kafkaIdentity = ca.issue("conveyor");
        Map<String, String> s = new LinkedHashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.security.protocol", "SSL");
        s.put("kafka.ssl.keystore.type", "PKCS12");
        s.put(
                "kafka.ssl.keystore.location",
                ca.keyStore(kafkaIdentity, KEYSTORE_PASSWORD).toString());
        s.put("kafka.ssl.keystore.password", keyStorePassword);
        s.put("kafka.ssl.key.password", keyStorePassword);
        s.put("kafka.ssl.truststore.type", "PKCS12");
        s.put(
                "kafka.ssl.truststore.location",
                ca.trustStore("kafka-truststore.p12", TRUSTSTORE_PASSWORD).toString());
        s.put("kafka.ssl.truststore.password", TRUSTSTORE_PASSWORD);
        s.put("topics.prefix", prefix);
        s.put("topics.partitions", "2");
        s.put("worker.group", prefix + "-workers");
        s.put("rollup.application.id", prefix + "-rollups");
        s.put("rollup.state.dir", dir.resolve(prefix + "-state").toString());
        return s;
    }

    @Test
    void everyRoleRunsATaskOverMutualTlsAndNoSecretIsLogged() throws Exception {
        String prefix = broker.uniqueName("mtls");
        CertificateAuthority.Identity web = ca.issue("conveyor-web");
        Map<String, String> settings = settings(KEYSTORE_PASSWORD, prefix);
        settings.putAll(SecuredRuns.httpTls(ca, web));
        settings.put("http.tls.client.ca", ca.certificatePem().toString());
        settings.put("rollup.advertised.url", "https://127.0.0.1");
        Path config = SecuredRuns.propertiesFile(dir.resolve(prefix + ".properties"), settings);
        List<String> common = List.of("--config", config.toString(), "--http-port", "0");

        List<RoleProcess> roles = new ArrayList<>();
        Map<String, String> texts = new LinkedHashMap<>();
        try {
            RoleProcess topics = RoleProcess.start("topics", dir, List.of("topics", "--config", config.toString()));
            roles.add(topics);
            assertThat(topics.awaitExit(START)).as(topics.lastLines()).isZero();

            RoleProcess rollup = start(roles, "rollup", common);
            int rollupPort = rollup.awaitPort(START);
            RoleProcess worker = start(roles, "worker", common);
            List<String> api = new ArrayList<>(common);
            api.addAll(List.of("--set", "api.status.url=https://127.0.0.1:" + rollupPort));
            int apiPort = start(roles, "api", api).awaitPort(START);
            int workerPort = worker.awaitPort(START);

            HttpClient http = SecuredRuns.client(ca, ca.issue("operator"));
            var view = SecuredRuns.runTask(http, "https://127.0.0.1:" + apiPort, Duration.ofSeconds(90));
            assertThat(view.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThatThrownBy(() -> SecuredRuns.get(
                            SecuredRuns.client(ca, null), "https://127.0.0.1:" + apiPort + "/health/live"))
                    .as("a client without a certificate is refused")
                    .isInstanceOf(IOException.class);
            for (int port : List.of(apiPort, workerPort, rollupPort)) {
                var ready = SecuredRuns.get(http, "https://127.0.0.1:" + port + "/health/ready");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                texts.put("/health/ready on " + port, ready.body());
            }
        } finally {
            roles.forEach(RoleProcess::close);
        }
        roles.forEach(r -> texts.put(r.name() + " log", r.log()));

        Path wrong = SecuredRuns.propertiesFile(
                dir.resolve(prefix + "-wrong.properties"), settings("wrong-" + KEYSTORE_PASSWORD, prefix));
        try (RoleProcess worker = RoleProcess.start(
                "worker-wrong-keystore-password",
                dir,
                List.of("worker", "--config", wrong.toString(), "--http-port", "0"))) {
            assertThat(worker.awaitExit(START)).as(worker.lastLines()).isNotZero();
            System.out.println("wrong key store password: " + SaslSslIT.errorLines(worker.log()));
            texts.put(worker.name(), worker.log());
        }

        long lines = SecuredRuns.assertNoSecretIn(
                texts,
                List.of(
                        KEYSTORE_PASSWORD,
                        TRUSTSTORE_PASSWORD,
                        "wrong-" + KEYSTORE_PASSWORD,
                        SecuredRuns.keyMaterial(web.keyPem())));
        System.out.printf(
                "mTLS run: %d lines of %d logs and answers searched, no secret in any%n", lines, texts.size());
        assertThat(texts.get("worker log"))
                .as("Kafka's own configuration dump was logged, and hid the secrets")
                .contains("ssl.keystore.password = [hidden]", "ssl.key.password = [hidden]");
    }

    private static RoleProcess start(List<RoleProcess> roles, String role, List<String> args) {
        List<String> all = new ArrayList<>(List.of(role));
        all.addAll(args);
        RoleProcess p = RoleProcess.start(role, dir, all);
        roles.add(p);
        return p;
    }
}
