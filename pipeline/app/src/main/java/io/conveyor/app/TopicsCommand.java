package io.conveyor.app;

import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.TopicProvisioner;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "topics", description = "Create Conveyor's topics on a Kafka cluster (idempotent) and list them.")
final class TopicsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() {
        ConveyorConfig config = options.load();
        try (Node node = new Node()) {
            return provision(node, config);
        } catch (RuntimeException e) {
            throw Main.redacted(e, config);
        }
    }

    private static int provision(Node node, ConveyorConfig config) {
        var report = new TopicProvisioner(Roles.admin(node, config), Duration.ofSeconds(15))
                .ensure(config.topics().all());
        for (var spec : config.topics().all()) {
            System.out.printf("%-28s %s%n", spec.name(), report.created().contains(spec.name()) ? "created" : "exists");
        }
        return 0;
    }
}
