package io.conveyor.app;

import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.HealthCheck;
import io.conveyor.core.KafkaAcls;
import io.conveyor.producers.ApiServer;
import io.conveyor.rollups.Rollups;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** One role per process, against an existing Kafka cluster. */
final class RoleCommands {
    private RoleCommands() {}

    /** Starts a role into a node, serving /metrics and /health on the HTTP port. */
    abstract static class Role implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @Override
        public Integer call() {
            ConveyorConfig config = options.load();
            Node node = new Node();
            FatalErrors fatal = new FatalErrors(config.kafkaPrincipal());
            try {
                PrometheusMeterRegistry registry = Metrics.registry(node);
                Admin admin = Roles.admin(node, config, registry);
                Roles.provision(admin, config, false);
                Roles.preflight(admin, config, KafkaAcls.Role.valueOf(name().toUpperCase(Locale.ROOT)));
                ApiServer server = start(node, config, registry, admin, fatal);
                System.out.printf(
                        "Conveyor %s is running against %s; HTTP%s on port %d (/metrics, /health/ready).%n",
                        name(), config.bootstrapServers(), config.httpTls().enabled() ? "S" : "", server.port());
            } catch (RuntimeException e) {
                node.close();
                throw Main.redacted(e, config);
            }
            return Lifecycle.runUntilStopped(node, fatal, config);
        }

        abstract String name();

        abstract ApiServer start(
                Node node, ConveyorConfig config, PrometheusMeterRegistry registry, Admin admin, FatalErrors fatal);
    }

    @Command(name = "api", description = "Run the HTTP submission API against a Kafka cluster.")
    static final class Api extends Role {
        @Override
        String name() {
            return "api";
        }

        @Override
        ApiServer start(
                Node node, ConveyorConfig config, PrometheusMeterRegistry registry, Admin admin, FatalErrors fatal) {
            return Roles.http(
                    node,
                    ApiServer.builder(config, registry)
                            .acceptTasks()
                            .lookup(Roles.apiLookups(node, config))
                            .stats(Roles.apiStats(node, config, fatal)),
                    List.of(Roles.kafkaReadiness(admin, config)),
                    fatal);
        }
    }

    @Command(name = "worker", description = "Run a worker (a member of the worker consumer group).")
    static final class WorkerRole extends Role {
        @Override
        String name() {
            return "worker";
        }

        @Override
        ApiServer start(
                Node node, ConveyorConfig config, PrometheusMeterRegistry registry, Admin admin, FatalErrors fatal) {
            Roles.worker(node, config, registry, fatal);
            return Roles.http(
                    node, ApiServer.builder(config, registry), List.of(Roles.kafkaReadiness(admin, config)), fatal);
        }
    }

    @Command(
            name = "rollup",
            description = "Run the rollups (Kafka Streams); serves GET /v1/tasks/{id} from the status table of"
                    + " whichever rollup instance holds the task.")
    static final class Rollup extends Role {
        @Override
        String name() {
            return "rollup";
        }

        @Override
        ApiServer start(
                Node node, ConveyorConfig config, PrometheusMeterRegistry registry, Admin admin, FatalErrors fatal) {
            Roles.requireStreamsReplication(admin, config);
            Rollups rollups = Roles.rollups(node, config, registry, fatal);
            List<HealthCheck> checks = List.of(Roles.kafkaReadiness(admin, config), Roles.rollupsReadiness(rollups));
            return Roles.startRollups(
                    rollups,
                    Roles.http(node, Roles.lookups(ApiServer.builder(config, registry), rollups), checks, fatal));
        }
    }
}
