package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.infra.kafka.BrokerSecurity;
import io.conveyor.infra.kafka.CertificateAuthority;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
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
 * Every role, each in a JVM of its own, against a broker that requires SASL_SSL with
 * SCRAM-SHA-512, with only the documented settings (docs/security.md) in a properties file; the
 * API and the rollups serve HTTPS and the API reaches the rollups over it. A task goes end to end,
 * and then no line of any process's log, no readiness answer and no error output holds a secret.
 */
class SaslSslIT {
    private static final String SCRAM_PASSWORD = "scram-Pa55-" + Long.toHexString(System.nanoTime());
    private static final String TRUSTSTORE_PASSWORD = "trust-Pa55-" + Long.toHexString(System.nanoTime());
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private static CertificateAuthority ca;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        ca = CertificateAuthority.create("conveyor-test-ca", dir);
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                .security(new BrokerSecurity.SaslSsl(
                        ca.issue("broker").keyStorePem(),
                        ca.certificatePem(),
                        Map.of("admin", "admin-" + SCRAM_PASSWORD, "conveyor", SCRAM_PASSWORD),
                        "admin",
                        false))
                .build());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The settings of docs/security.md for SASL_SSL, as a role's properties file holds them. */
    private static Map<String, String> settings(String password, String prefix) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.security.protocol", "SASL_SSL");
        s.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        s.put(
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"conveyor\""
                        + " password=\"" + password + "\";");
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
    void everyRoleRunsATaskOverSaslSslAndHttpsAndNoSecretIsLogged() throws Exception {
        String prefix = broker.uniqueName("sasl");
        CertificateAuthority.Identity web = ca.issue("conveyor-web");
        Map<String, String> settings = settings(SCRAM_PASSWORD, prefix);
        settings.putAll(SecuredRuns.httpTls(ca, web));
        settings.put("rollup.advertised.url", "https://127.0.0.1");
        Path config = SecuredRuns.propertiesFile(dir.resolve(prefix + ".properties"), settings);
        List<String> common = List.of("--config", config.toString(), "--http-port", "0");

        List<RoleProcess> roles = new ArrayList<>();
        Map<String, String> texts = new LinkedHashMap<>();
        try {
            RoleProcess topics = RoleProcess.start("topics", dir, List.of("topics", "--config", config.toString()));
            roles.add(topics);
            assertThat(topics.awaitExit(START)).as(topics.lastLines()).isZero();
            assertThat(topics.log()).contains(prefix + ".tasks.normal", "created");

            RoleProcess rollup = start(roles, "rollup", common);
            int rollupPort = rollup.awaitPort(START);
            RoleProcess worker = start(roles, "worker", common);
            List<String> api = new ArrayList<>(common);
            api.addAll(List.of("--set", "api.status.url=https://127.0.0.1:" + rollupPort));
            RoleProcess apiRole = start(roles, "api", api);
            int apiPort = apiRole.awaitPort(START);
            int workerPort = worker.awaitPort(START);

            HttpClient http = SecuredRuns.client(ca, null);
            var view = SecuredRuns.runTask(http, "https://127.0.0.1:" + apiPort, Duration.ofSeconds(90));
            assertThat(view.get("result").get("over").asText()).isEqualTo("tls");

            for (int port : List.of(apiPort, workerPort, rollupPort)) {
                var ready = SecuredRuns.get(http, "https://127.0.0.1:" + port + "/health/ready");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                texts.put("/health/ready on " + port, ready.body());
            }
        } finally {
            roles.forEach(RoleProcess::close);
        }
        roles.forEach(r -> texts.put(r.name() + " log", r.log()));
        texts.putAll(configurationErrors(prefix));

        long lines = SecuredRuns.assertNoSecretIn(
                texts,
                List.of(
                        SCRAM_PASSWORD,
                        TRUSTSTORE_PASSWORD,
                        "wrong-" + SCRAM_PASSWORD,
                        SecuredRuns.keyMaterial(web.keyPem())));
        System.out.printf(
                "SASL_SSL run: %d lines of %d logs and answers searched, no secret in any%n", lines, texts.size());
        assertThat(texts.get("worker log"))
                .as("Kafka's own configuration dump was logged, and hid the secrets")
                .contains("sasl.jaas.config = [hidden]", "ssl.truststore.password = [hidden]");
    }

    /**
     * Roles started with a wrong SCRAM password, and with a malformed JAAS line: each stops with a
     * clear message and a non-zero exit, and says no secret.
     */
    private Map<String, String> configurationErrors(String prefix) throws Exception {
        Map<String, String> outputs = new LinkedHashMap<>();
        Path wrong = SecuredRuns.propertiesFile(
                dir.resolve(prefix + "-wrong.properties"), settings("wrong-" + SCRAM_PASSWORD, prefix));
        try (RoleProcess worker = RoleProcess.start(
                "worker-wrong-password", dir, List.of("worker", "--config", wrong.toString(), "--http-port", "0"))) {
            assertThat(worker.awaitExit(START)).as(worker.lastLines()).isEqualTo(1);
            assertThat(worker.log()).contains("Kafka refused to authenticate this client");
            outputs.put(worker.name(), worker.log());
            System.out.println("wrong password: " + errorLines(worker.log()));
        }
        Map<String, String> malformed = settings(SCRAM_PASSWORD, prefix);
        malformed.put(
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"conveyor\" password=\""
                        + "wrong-" + SCRAM_PASSWORD + "\"");
        Path file = SecuredRuns.propertiesFile(dir.resolve(prefix + "-malformed.properties"), malformed);
        try (RoleProcess api = RoleProcess.start(
                "api-malformed-jaas", dir, List.of("api", "--config", file.toString(), "--http-port", "0"))) {
            assertThat(api.awaitExit(START)).as(api.lastLines()).isNotZero();
            assertThat(api.log()).contains("conveyor: ");
            outputs.put(api.name(), api.log());
            System.out.println("malformed JAAS: " + errorLines(api.log()));
        }
        return outputs;
    }

    /** The lines a role's failure leaves: its ERROR log lines and what the command line printed. */
    static List<String> errorLines(String log) {
        return log.lines()
                .filter(l -> l.startsWith("conveyor: ") || l.contains(" ERROR "))
                .toList();
    }

    private static RoleProcess start(List<RoleProcess> roles, String role, List<String> args) {
        List<String> all = new ArrayList<>(List.of(role));
        all.addAll(args);
        RoleProcess p = RoleProcess.start(role, dir, all);
        roles.add(p);
        return p;
    }
}
