package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A role refuses to start on existing topics replicated less than its configuration asks: the
 * message names the topic and the fix, and nothing starts.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReplicationRefusalIT {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void aWorkerRefusesTopicsWithALowerMinInsyncReplicas(KafkaBroker broker) {
        String prefix = broker.uniqueName("refuse");
        // the topics as an earlier, laxer configuration created them
        assertThat(run("topics", "--bootstrap", broker.bootstrapServers(), "--set", "topics.prefix=" + prefix))
                .isZero();
        assertThat(out.toString()).contains(prefix + ".results", "created");

        int exit = run(
                "worker",
                "--bootstrap",
                broker.bootstrapServers(),
                "--http-port",
                "0",
                "--set",
                "topics.prefix=" + prefix,
                "--set",
                "topics.min.insync.replicas=2");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString())
                .contains("topic " + prefix + ".control has min.insync.replicas=1, but topics.min.insync.replicas is 2")
                .contains("--entity-name " + prefix + ".results --add-config min.insync.replicas=2");
    }

    @Test
    void theRollupsRefuseAnUnderReplicatedChangelogOfTheirOwn(KafkaBroker broker) throws Exception {
        String prefix = broker.uniqueName("streams");
        String app = broker.uniqueName("app");
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, prefix)
                .set(ConveyorConfig.TOPICS_MIN_INSYNC_REPLICAS, 1)
                .build();
        String changelog = app + "-task-status-changelog";
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
            // as Kafka Streams created it on a broker whose default was laxer
            admin.createTopics(List.of(new NewTopic(changelog, 1, (short) 1)
                            .configs(Map.of("cleanup.policy", "compact", "min.insync.replicas", "1"))))
                    .all()
                    .get();
        }
        // the Conveyor topics are fine at 1; the changelog is short of 2
        try (Admin admin = Admin.create(broker.clientConfig())) {
            for (var spec : config.topics().all()) {
                var resource = new org.apache.kafka.common.config.ConfigResource(
                        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, spec.name());
                admin.incrementalAlterConfigs(Map.of(
                                resource,
                                List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                                        new org.apache.kafka.clients.admin.ConfigEntry("min.insync.replicas", "2"),
                                        org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
                        .all()
                        .get();
            }
        }

        int exit = run(
                "rollup",
                "--bootstrap",
                broker.bootstrapServers(),
                "--http-port",
                "0",
                "--set",
                "topics.prefix=" + prefix,
                "--set",
                "rollup.application.id=" + app,
                "--set",
                "topics.min.insync.replicas=2");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString())
                .contains("topic " + changelog + " has min.insync.replicas=1, but topics.min.insync.replicas is 2")
                .doesNotContain("topic " + prefix + ".results");
    }

    private int run(String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }
}
