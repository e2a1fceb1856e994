package io.conveyor.app;

import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.ReplicationCheck;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.TopicSpec;
import io.conveyor.core.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "topics",
        description = "Create Conveyor's topics on a Kafka cluster (idempotent), list them with their partitions,"
                + " replication and min.insync.replicas, and fail if an existing one is replicated less than"
                + " topics.replication / topics.min.insync.replicas ask.")
final class TopicsCommand implements Callable<Integer> {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ConveyorConfig config = options.load();
        PrintWriter out = spec.commandLine().getOut();
        try (Node node = new Node()) {
            return provision(node, config, out);
        } catch (RuntimeException e) {
            throw Main.redacted(e, config);
        }
    }

    private static int provision(Node node, ConveyorConfig config, PrintWriter out) throws Exception {
        Admin admin = Roles.admin(node, config);
        List<TopicSpec> specs = config.topics().all();
        var report = new TopicProvisioner(admin, TIMEOUT).ensure(specs);
        List<String> names = specs.stream().map(TopicSpec::name).toList();
        Map<String, TopicDescription> described =
                admin.describeTopics(names).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        List<ConfigResource> resources = names.stream()
                .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                .toList();
        Map<ConfigResource, Config> configs = minInsyncReplicas(admin, resources);
        out.printf("%-30s %-8s %10s %11s %12s%n", "topic", "", "partitions", "replication", "min.insync");
        for (ConfigResource resource : resources) {
            TopicDescription d = described.get(resource.name());
            Config topicConfig = configs.get(resource);
            var minInsync = topicConfig == null ? null : topicConfig.get(Topics.MIN_INSYNC_REPLICAS);
            out.printf(
                    "%-30s %-8s %10d %11d %12s%n",
                    resource.name(),
                    report.created().contains(resource.name()) ? "created" : "exists",
                    d.partitions().size(),
                    d.partitions().stream()
                            .mapToInt(p -> p.replicas().size())
                            .min()
                            .orElse(0),
                    minInsync == null ? "?" : minInsync.value());
        }
        new ReplicationCheck(admin, TIMEOUT, config.bootstrapServers()).require(names, config.topics());
        return 0;
    }

    /** The topics' configs, or none when reading them is not allowed (no DESCRIBE_CONFIGS): shown as '?'. */
    private static Map<ConfigResource, Config> minInsyncReplicas(Admin admin, List<ConfigResource> resources)
            throws InterruptedException, TimeoutException {
        try {
            return admin.describeConfigs(resources).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return Map.of();
        }
    }
}
