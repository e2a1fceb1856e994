package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConfigLoader;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaAcls;
import io.conveyor.core.KafkaAcls.Acl;
import io.conveyor.core.KafkaAcls.Role;
import io.conveyor.infra.kafka.BrokerSecurity;
import io.conveyor.infra.kafka.CertificateAuthority;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker that authorizes with ACLs (SASL_SSL, StandardAuthorizer), each role logged in as its own
 * user and granted exactly its set from {@link KafkaAcls} (docs/security.md): the topics are
 * created and a task runs end to end, with no authorization error anywhere. Then one entry of each
 * role is removed while it runs, and each role stops with one clear error that names the resource
 * and the operation, and exits 1, instead of retrying forever.
 */
class AclIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(45);
    private static final Map<String, String> USERS = Map.of(
            "admin", "admin-acl-pw",
            "topics", "topics-acl-pw",
            "api", "api-acl-pw",
            "worker", "worker-acl-pw",
            "rollup", "rollup-acl-pw");

    @TempDir
    static Path dir;

    private static CertificateAuthority ca;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        ca = CertificateAuthority.create("conveyor-test-ca", dir);
        broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                .security(new BrokerSecurity.SaslSsl(
                        ca.issue("broker").keyStorePem(), ca.certificatePem(), USERS, "admin", true))
                .build());
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, String> settings(String user, String prefix) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("kafka.bootstrap.servers", broker.bootstrapServers());
        s.put("kafka.security.protocol", "SASL_SSL");
        s.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        s.put("kafka.sasl.jaas.config", BrokerSecurity.SaslSsl.jaas(user, USERS.get(user)));
        s.put("kafka.ssl.truststore.type", "PEM");
        s.put("kafka.ssl.truststore.location", ca.certificatePem().toString());
        s.put("topics.prefix", prefix);
        s.put("topics.partitions", "2");
        s.put("worker.group", prefix + "-workers");
        s.put("rollup.application.id", prefix + "-rollups");
        s.put("rollup.state.dir", dir.resolve(prefix + "-state").toString());
        s.put("rollup.advertised.url", "http://127.0.0.1");
        // purge the repartition topic within the run (default every 30 s), which needs DELETE
        s.put("kafka.streams.repartition.purge.interval.ms", "200");
        return s;
    }

    @Test
    void eachRoleRunsWithExactlyItsAclsAndStopsClearlyWhenOneIsRemoved() throws Exception {
        String prefix = broker.uniqueName("acl");
        Map<Role, Path> files = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            files.put(
                    role,
                    SecuredRuns.propertiesFile(
                            dir.resolve(prefix + "-" + role.wireName() + ".properties"),
                            settings(role.wireName(), prefix)));
        }
        ConveyorConfig config = ConfigLoader.load(files.get(Role.API), Map.of(), Map.of());
        try (Admin admin = Admin.create(broker.clientConfig())) {
            for (Role role : Role.values()) {
                change(admin, role, KafkaAcls.required(role, config), true);
            }

            List<RoleProcess> roles = new ArrayList<>();
            try {
                RoleProcess topics = RoleProcess.start(
                        "topics",
                        dir,
                        List.of("topics", "--config", files.get(Role.TOPICS).toString()));
                roles.add(topics);
                assertThat(topics.awaitExit(START)).as(topics.lastLines()).isZero();

                RoleProcess rollup = start(roles, Role.ROLLUP, files, List.of());
                int rollupPort = rollup.awaitPort(START);
                RoleProcess worker = start(roles, Role.WORKER, files, List.of());
                RoleProcess api = start(
                        roles, Role.API, files, List.of("--set", "api.status.url=http://127.0.0.1:" + rollupPort));
                int apiPort = api.awaitPort(START);
                int workerPort = worker.awaitPort(START);
                String apiUrl = "http://127.0.0.1:" + apiPort;
                HttpClient http = HttpClient.newHttpClient();

                var view = SecuredRuns.runTask(http, apiUrl, Duration.ofSeconds(90));
                assertThat(view.get("status").asText()).isEqualTo("SUCCEEDED");
                for (int port : List.of(apiPort, workerPort, rollupPort)) {
                    await().atMost(Duration.ofSeconds(30))
                            .untilAsserted(
                                    () -> assertThat(SecuredRuns.get(http, "http://127.0.0.1:" + port + "/health/ready")
                                                    .statusCode())
                                            .isEqualTo(200));
                }
                for (RoleProcess role : roles) {
                    assertThat(role.log())
                            .as("%s ran with its ACLs and met no refusal", role.name())
                            .doesNotContain(
                                    "Not authorized",
                                    "not authorized",
                                    "Kafka denied",
                                    "Authorization failed",
                                    "AUTHORIZATION_FAILED");
                }

                // the rollups lose their transactional ids; the next task's arrival needs a transaction
                Acl transactional = only(KafkaAcls.required(Role.ROLLUP, config), ResourceType.TRANSACTIONAL_ID);
                change(admin, Role.ROLLUP, List.of(transactional), false);
                submit(http, apiUrl);
                assertStoppedWith(
                        rollup, "Kafka denied WRITE on transactional id " + prefix + "-rollups-", "--transactional-id");

                // the worker loses its group
                Acl groupRead = KafkaAcls.required(Role.WORKER, config).stream()
                        .filter(a -> a.resource() == ResourceType.GROUP && a.operation() == AclOperation.READ)
                        .findFirst()
                        .orElseThrow();
                change(admin, Role.WORKER, List.of(groupRead), false);
                assertStoppedWith(worker, "Kafka denied READ on group " + prefix + "-workers", "--group");

                // the API loses WRITE on the normal task topic: the submission is refused, saying why
                Acl write = KafkaAcls.required(Role.API, config).stream()
                        .filter(a -> a.name().equals(prefix + ".tasks.normal"))
                        .findFirst()
                        .orElseThrow();
                change(admin, Role.API, List.of(write), false);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    HttpResponse<String> refused = submit(http, apiUrl);
                    assertThat(refused.statusCode()).isEqualTo(500);
                    assertThat(refused.body()).contains("Kafka denied WRITE on topic " + prefix + ".tasks.normal");
                });
                assertStoppedWith(api, "Kafka denied WRITE on topic " + prefix + ".tasks.normal", "--topic");
            } finally {
                roles.forEach(RoleProcess::close);
            }
        }
    }

    @Test
    void topicsWithoutCreateSaysWhichTopicAndOperation() throws Exception {
        String prefix = broker.uniqueName("nocreate");
        Path file = SecuredRuns.propertiesFile(dir.resolve(prefix + ".properties"), settings("topics", prefix));
        try (RoleProcess topics =
                RoleProcess.start("topics-no-create", dir, List.of("topics", "--config", file.toString()))) {
            assertThat(topics.awaitExit(START)).as(topics.lastLines()).isEqualTo(1);
            assertThat(topics.log())
                    .contains("Kafka denied CREATE on topic " + prefix + ".")
                    .contains("--operation Create --topic " + prefix + ".");
            System.out.println("topics without CREATE: " + SaslSslIT.errorLines(topics.log()));
        }
    }

    @Test
    void aRoleLackingAclsRefusesToStartAndListsThem() throws Exception {
        String prefix = broker.uniqueName("preflight");
        Path file = SecuredRuns.propertiesFile(dir.resolve(prefix + ".properties"), settings("worker", prefix));
        ConveyorConfig config = ConfigLoader.load(file, Map.of(), Map.of());
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new io.conveyor.core.TopicProvisioner(admin, Duration.ofSeconds(15))
                    .ensure(config.topics().all());
            List<Acl> all = KafkaAcls.required(Role.WORKER, config);
            List<Acl> lacking = all.stream()
                    .filter(a -> a.resource() == ResourceType.GROUP
                            || a.name().equals(config.topics().deadLetters()))
                    .toList();
            assertThat(lacking).hasSize(2);
            change(
                    admin,
                    Role.WORKER,
                    all.stream().filter(a -> !lacking.contains(a)).toList(),
                    true);

            try (RoleProcess worker = RoleProcess.start(
                    "worker-preflight", dir, List.of("worker", "--config", file.toString(), "--http-port", "0"))) {
                assertThat(worker.awaitExit(START)).as(worker.lastLines()).isEqualTo(1);
                List<String> printed = worker.log()
                        .lines()
                        .dropWhile(l -> !l.startsWith("conveyor: "))
                        .toList();
                System.out.println("preflight: " + String.join("\n", printed));
                assertThat(printed.getFirst()).contains("the worker role lacks ACLs it needs");
                assertThat(printed)
                        .as("exactly the missing ACLs, each with its command for User:worker")
                        .hasSize(1 + lacking.size())
                        .anySatisfy(l -> assertThat(l).contains(lacking.get(0).command("User:worker")))
                        .anySatisfy(l -> assertThat(l).contains(lacking.get(1).command("User:worker")));
            }
        }
    }

    /** The role exits 1 having said, once, what was denied and how to grant it. */
    private static void assertStoppedWith(RoleProcess role, String denial, String option) throws Exception {
        assertThat(role.awaitExit(STOP)).as(role.lastLines()).isEqualTo(1);
        List<String> errors = SaslSslIT.errorLines(role.log()).stream()
                .filter(l -> l.contains("Kafka denied"))
                .toList();
        System.out.println(role.name() + ": " + errors);
        assertThat(errors)
                .as("the denial, logged once and printed once on exit")
                .hasSize(2)
                .allSatisfy(l -> assertThat(l)
                        .contains(denial, "kafka-acls.sh", "--allow-principal User:" + role.name(), option));
    }

    private static HttpResponse<String> submit(HttpClient http, String api) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(api + "/v1/tasks"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Acl only(List<Acl> acls, ResourceType type) {
        return acls.stream().filter(a -> a.resource() == type).findFirst().orElseThrow();
    }

    private static RoleProcess start(List<RoleProcess> roles, Role role, Map<Role, Path> files, List<String> extra) {
        List<String> args = new ArrayList<>(
                List.of(role.wireName(), "--config", files.get(role).toString(), "--http-port", "0"));
        args.addAll(extra);
        RoleProcess p = RoleProcess.start(role.wireName(), dir, args);
        roles.add(p);
        return p;
    }

    /** Grants ({@code add}) or removes the ACLs of {@code role}'s user, and waits for the broker. */
    private static void change(Admin admin, Role role, Collection<Acl> acls, boolean add) throws Exception {
        List<AclBinding> bindings = acls.stream()
                .map(a -> new AclBinding(
                        new ResourcePattern(a.resource(), a.name(), a.pattern()),
                        new AccessControlEntry("User:" + role.wireName(), "*", a.operation(), AclPermissionType.ALLOW)))
                .toList();
        if (add) {
            admin.createAcls(bindings).all().get(15, TimeUnit.SECONDS);
        } else {
            admin.deleteAcls(bindings.stream().map(AclBinding::toFilter).toList())
                    .all()
                    .get(15, TimeUnit.SECONDS);
        }
    }
}
