package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker with a secured client listener: SASL_SSL with SCRAM-SHA-512, and mutual TLS,
 * each with ACLs, against real clients (no mocks): the admin is a super user, a wrong password or
 * a missing client certificate is refused, and an authenticated user without ACLs is denied.
 */
class SecuredBrokerIT {
    @TempDir
    Path dir;

    @Test
    void saslSslRequiresScramCredentialsAndAcls() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", dir);
        CertificateAuthority.Identity server = ca.issue("broker");
        var security = new BrokerSecurity.SaslSsl(
                server.keyStorePem(),
                ca.certificatePem(),
                Map.of("admin", "admin-pw-1", "alice", "alice-pw-2"),
                "admin",
                true);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                EmbeddedKafkaBroker.Settings.builder().security(security).build())) {
            String topic = broker.uniqueName("secured");
            broker.createTopics(1, topic);

            Map<String, Object> alice = client(broker, "alice", "alice-pw-2");
            try (Admin admin = Admin.create(alice)) {
                assertThatThrownBy(() -> describe(admin, topic)).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            try (Admin admin = Admin.create(broker.clientConfig())) {
                admin.createAcls(List.of(new AclBinding(
                                new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                                new AccessControlEntry(
                                        "User:alice", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW))))
                        .all()
                        .get(10, TimeUnit.SECONDS);
            }
            try (Admin admin = Admin.create(alice)) {
                org.awaitility.Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(describe(admin, topic)).containsExactly(topic));
            }
            try (Admin admin = Admin.create(client(broker, "alice", "wrong-password"))) {
                assertThatThrownBy(() -> describe(admin, topic)).hasCauseInstanceOf(SaslAuthenticationException.class);
            }
        }
    }

    @Test
    void mutualTlsRequiresAClientCertificate() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", dir);
        CertificateAuthority.Identity server = ca.issue("broker");
        CertificateAuthority.Identity admin = ca.issue("admin");
        CertificateAuthority.Identity bob = ca.issue("bob");
        var security = new BrokerSecurity.MutualTls(
                server.keyStorePem(), ca.certificatePem(), admin.keyStorePem(), admin.principalName(), true);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                EmbeddedKafkaBroker.Settings.builder().security(security).build())) {
            String topic = broker.uniqueName("mtls");
            broker.createTopics(1, topic);
            assertThat(admin.principalName()).isEqualTo("CN=admin");

            Map<String, Object> bobConfig = new HashMap<>(broker.clientConfig());
            bobConfig.put("ssl.keystore.location", bob.keyStorePem().toString());
            try (Admin client = Admin.create(timeouts(bobConfig))) {
                assertThatThrownBy(() -> describe(client, topic)).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            Map<String, Object> anonymous = new HashMap<>(broker.clientConfig());
            anonymous.remove("ssl.keystore.location");
            anonymous.remove("ssl.keystore.type");
            try (Admin client = Admin.create(timeouts(anonymous))) {
                assertThatThrownBy(() -> describe(client, topic)).hasCauseInstanceOf(SslAuthenticationException.class);
            }
        }
    }

    private static Map<String, Object> client(EmbeddedKafkaBroker broker, String user, String password) {
        Map<String, Object> config = new HashMap<>(broker.clientConfig());
        config.put("sasl.jaas.config", BrokerSecurity.SaslSsl.jaas(user, password));
        return timeouts(config);
    }

    private static Map<String, Object> timeouts(Map<String, Object> config) {
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        return config;
    }

    private static Set<String> describe(Admin admin, String topic)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        return admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(15, TimeUnit.SECONDS)
                .keySet();
    }
}
