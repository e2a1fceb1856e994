package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Existing topics are checked against the replication the configuration asks for. */
@ExtendWith(KafkaBrokerExtension.class)
class ReplicationCheckIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void topicsAreCreatedWithTheConfiguredMinInsyncReplicas(KafkaBroker broker) throws Exception {
        Topics topics = new Topics(broker.uniqueName("isr"), 1, Optional.of((short) 1), Optional.of(1));
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, TIMEOUT).ensure(topics.all());
            ConfigResource results = new ConfigResource(ConfigResource.Type.TOPIC, topics.results());
            Config config = admin.describeConfigs(List.of(results)).all().get().get(results);
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("1");
            assertThat(config.get("min.insync.replicas").source())
                    .isEqualTo(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);

            assertThat(check(admin, broker).shortfalls(names(topics), topics)).isEmpty();
        }
    }

    @Test
    void aTopicWithFewerReplicasThanConfiguredIsRefusedNamingTheTopicAndTheFix(KafkaBroker broker) throws Exception {
        String prefix = broker.uniqueName("few");
        Topics created = new Topics(prefix, 1, Optional.of((short) 1), Optional.empty());
        Topics wanted = new Topics(prefix, 1, Optional.of((short) 3), Optional.empty());
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, TIMEOUT).ensure(created.all());

            List<ReplicationCheck.Shortfall> shortfalls = check(admin, broker).shortfalls(names(wanted), wanted);

            assertThat(shortfalls).hasSize(wanted.all().size());
            assertThat(shortfalls).anySatisfy(s -> assertThat(s.topic()).isEqualTo(wanted.results()));
            assertThat(shortfalls.getFirst().toString())
                    .contains("topic " + shortfalls.getFirst().topic() + " has replication factor 1,"
                            + " but topics.replication is 3")
                    .contains("kafka-reassign-partitions.sh")
                    .contains("topics.replication=1");
            assertThatThrownBy(() -> check(admin, broker).require(names(wanted), wanted))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(wanted.results());
        }
    }

    @Test
    void aTopicWithALowerMinInsyncReplicasIsRefusedWithTheCommandThatRaisesIt(KafkaBroker broker) throws Exception {
        String prefix = broker.uniqueName("low");
        Topics created = new Topics(prefix, 1, Optional.empty(), Optional.empty());
        Topics wanted = new Topics(prefix, 1, Optional.empty(), Optional.of(2));
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, TIMEOUT).ensure(created.all());

            List<ReplicationCheck.Shortfall> shortfalls =
                    check(admin, broker).shortfalls(List.of(wanted.control(), "no-such-topic"), wanted);

            assertThat(shortfalls).singleElement().satisfies(s -> {
                assertThat(s.topic()).isEqualTo(wanted.control());
                assertThat(s.toString())
                        .contains("has min.insync.replicas=1, but topics.min.insync.replicas is 2")
                        .contains("kafka-configs.sh --bootstrap-server " + broker.bootstrapServers()
                                + " --alter --entity-type topics --entity-name " + wanted.control()
                                + " --add-config min.insync.replicas=2");
            });
        }
    }

    private static ReplicationCheck check(Admin admin, KafkaBroker broker) {
        return new ReplicationCheck(admin, TIMEOUT, broker.bootstrapServers());
    }

    private static List<String> names(Topics topics) {
        return topics.all().stream().map(TopicSpec::name).toList();
    }
}
