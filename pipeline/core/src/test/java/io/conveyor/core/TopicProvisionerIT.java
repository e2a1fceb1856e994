package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class TopicProvisionerIT {

    @Test
    void createsTheCatalogueOnceWithItsSettings(KafkaBroker broker) throws Exception {
        Topics topics = new Topics(broker.uniqueName("p"), 3, Optional.empty());
        try (Admin admin = Admin.create(broker.clientConfig())) {
            TopicProvisioner provisioner = new TopicProvisioner(admin, Duration.ofSeconds(10));

            TopicProvisioner.Report first = provisioner.ensure(topics.all());
            TopicProvisioner.Report second = provisioner.ensure(topics.all());

            List<String> names = topics.all().stream().map(TopicSpec::name).toList();
            assertThat(first.created()).containsExactlyInAnyOrderElementsOf(names);
            assertThat(second.created()).isEmpty();
            assertThat(second.existing()).containsExactlyInAnyOrderElementsOf(names);

            // creation is acknowledged by the controller; the broker learns of it a moment later
            Map<String, TopicDescription> described = await().atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> admin.describeTopics(names).allTopicNames().get(), d -> d.size() == names.size());
            assertThat(described.values())
                    .allSatisfy(d -> assertThat(d.partitions()).hasSize(3));
            ConfigResource control = new ConfigResource(ConfigResource.Type.TOPIC, topics.control());
            Config config = admin.describeConfigs(List.of(control)).all().get().get(control);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact,delete");
        }
    }

    @Test
    void concurrentProvisionersAgree(KafkaBroker broker) throws Exception {
        Topics topics = new Topics(broker.uniqueName("race"), 2, Optional.empty());
        try (Admin admin = Admin.create(broker.clientConfig());
                var pool = Executors.newFixedThreadPool(4)) {
            Callable<TopicProvisioner.Report> provision =
                    () -> new TopicProvisioner(admin, Duration.ofSeconds(10)).ensure(topics.all());
            List<TopicProvisioner.Report> reports =
                    pool.invokeAll(List.of(provision, provision, provision, provision)).stream()
                            .map(f -> {
                                try {
                                    return f.get();
                                } catch (Exception e) {
                                    throw new AssertionError(e);
                                }
                            })
                            .toList();

            Map<String, Long> creations = reports.stream()
                    .flatMap(r -> r.created().stream())
                    .collect(Collectors.groupingBy(n -> n, Collectors.counting()));
            assertThat(creations)
                    .hasSize(topics.all().size())
                    .allSatisfy((name, count) -> assertThat(count).isEqualTo(1));
        }
    }
}
