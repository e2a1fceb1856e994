package io.conveyor.app.internal;

import io.conveyor.consumers.HandlerRegistry;
import io.conveyor.consumers.Worker;
import io.conveyor.core.AccessDenied;
import io.conveyor.core.AclPreflight;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.HealthCheck;
import io.conveyor.core.KafkaAcls;
import io.conveyor.core.KafkaClientKind;
import io.conveyor.core.KafkaReadiness;
import io.conveyor.core.ReplicationCheck;
import io.conveyor.core.StatsSource;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskStatusLookup;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.TopicSpec;
import io.conveyor.producers.ApiServer;
import io.conveyor.rollups.RemoteStatusLookup;
import io.conveyor.rollups.RollupStats;
import io.conveyor.rollups.Rollups;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts Conveyor's roles into a {@link Node}. */
public final class Roles {
    private static final Logger log = LoggerFactory.getLogger(Roles.class);

    private Roles() {}

    /** An Admin client for provisioning and readiness, closed with the node. */
    public static Admin admin(Node node, ConveyorConfig config) {
        return node.add("admin client", Admin.create(config.kafkaProperties(KafkaClientKind.ADMIN)));
    }

    /**
     * An Admin client as {@link #admin(Node, ConveyorConfig)}, with its Kafka client meters
     * ({@code kafka_admin_client_*}) bound; the binder closes with the node, before the client.
     */
    public static Admin admin(Node node, ConveyorConfig config, MeterRegistry registry) {
        Admin admin = admin(node, config);
        // Admin.create returns an AdminClient; the binder takes only that class
        if (admin instanceof AdminClient client) {
            node.add("admin client metrics", new KafkaClientMetrics(client)).bindTo(registry);
        }
        return admin;
    }

    /**
     * Creates missing topics.
     *
     * @param required whether failing to provision stops the process (it does in {@code run}; a
     *     role on a shared cluster may lack the rights and only warns)
     */
    public static void provision(Admin admin, ConveyorConfig config, boolean required) {
        try {
            new TopicProvisioner(admin, Duration.ofSeconds(15))
                    .ensure(config.topics().all());
        } catch (RuntimeException e) {
            if (required) {
                throw e;
            }
            log.warn("Could not provision topics ({}); /health/ready stays down until they exist", e.getMessage());
        }
        requireReplication(
                admin,
                config,
                config.topics().all().stream().map(TopicSpec::name).toList());
    }

    /**
     * Refuses to go on if a topic the rollups' Kafka Streams created (changelogs, repartition
     * topics) is replicated less than the configuration asks.
     */
    public static void requireStreamsReplication(Admin admin, ConveyorConfig config) {
        String prefix = config.get(ConveyorConfig.ROLLUP_APPLICATION_ID) + "-";
        try {
            Set<String> internal = check(admin, config)
                    .existing(n -> n.startsWith(prefix) && (n.endsWith("-changelog") || n.endsWith("-repartition")));
            requireReplication(admin, config, internal);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Could not list the rollups' internal topics to check their replication ({})", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void requireReplication(Admin admin, ConveyorConfig config, Collection<String> topics) {
        try {
            check(admin, config).require(topics, config.topics());
        } catch (ExecutionException | TimeoutException e) {
            // not reachable or not allowed to describe: readiness and the clients report that
            log.warn("Could not check the replication of {} ({})", topics, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ReplicationCheck check(Admin admin, ConveyorConfig config) {
        return new ReplicationCheck(admin, Duration.ofSeconds(15), config.bootstrapServers());
    }

    /**
     * Refuses to start {@code role} when the cluster says its principal lacks ACLs the role needs,
     * listing each with the kafka-acls.sh command that adds it ({@link AclPreflight}). A cluster
     * that does not answer is not a refusal: the role starts and its readiness says what is wrong.
     *
     * @throws IllegalStateException naming the missing ACLs
     */
    public static void preflight(Admin admin, ConveyorConfig config, KafkaAcls.Role role) {
        List<AclPreflight.Missing> missing;
        try {
            missing = AclPreflight.check(admin, role, config, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            var refused = AccessDenied.find(e, "DESCRIBE", AccessDenied.Names.NONE);
            if (refused.isPresent()) {
                throw new IllegalStateException(refused.get().message(), e);
            }
            log.warn("Could not check this role's ACLs before starting ({}); starting anyway", e.getMessage());
            return;
        }
        String refusal = AclPreflight.refusal(missing, role, config.kafkaPrincipal());
        if (refusal != null) {
            throw new IllegalStateException(refusal);
        }
    }

    public static HealthCheck kafkaReadiness(Admin admin, ConveyorConfig config) {
        var topics = config.topics().all().stream().map(t -> t.name()).toList();
        return new KafkaReadiness(admin, topics, Duration.ofSeconds(2), Clock.systemUTC());
    }

    public static Worker worker(Node node, ConveyorConfig config, PrometheusMeterRegistry registry, FatalErrors fatal) {
        return node.add("worker", Worker.start(config, HandlerRegistry.discover(), registry, fatal));
    }

    /**
     * The rollups, created but not started: {@link #startRollups} starts them once the HTTP server
     * listens, so that they advertise its actual port to the other rollup instances.
     */
    public static Rollups rollups(Node node, ConveyorConfig config, PrometheusMeterRegistry registry) {
        return rollups(node, config, registry, new FatalErrors());
    }

    /** As {@link #rollups(Node, ConveyorConfig, PrometheusMeterRegistry)}, reporting fatal errors. */
    public static Rollups rollups(
            Node node, ConveyorConfig config, PrometheusMeterRegistry registry, FatalErrors fatal) {
        return node.add("rollups", Rollups.create(config, registry, fatal));
    }

    /**
     * Serve {@code GET /v1/tasks/{id}} and {@code /internal/v1/tasks/{id}} from the rollups, and
     * {@code GET /v1/stats} from their windows.
     */
    public static ApiServer.Builder lookups(ApiServer.Builder builder, Rollups rollups) {
        return builder.lookup(rollups.statusLookup())
                .internalLookups(rollups.statusLookup(), rollups.localLookup())
                .stats(rollups.stats());
    }

    /**
     * The figures of {@code GET /v1/stats} for {@code conveyor api}: read from the rollups topic
     * like the rollups do, without gauges (the rollup processes export those).
     */
    public static StatsSource apiStats(Node node, ConveyorConfig config, FatalErrors fatal) {
        return node.add("rollup figures", RollupStats.start(config, null, fatal));
    }

    /** Starts the rollups, advertising the port {@code server} listens on. */
    public static ApiServer startRollups(Rollups rollups, ApiServer server) {
        rollups.start(server.port());
        return server;
    }

    /**
     * The lookups of {@code conveyor api}: forwarded to the rollups at {@code api.status.url}, or,
     * without it, a 503 that says to set it.
     */
    public static TaskStatusLookup apiLookups(Node node, ConveyorConfig config) {
        if (config.get(ConveyorConfig.API_STATUS_URL) != null) {
            return node.add("status lookups", RemoteStatusLookup.of(config));
        }
        return id -> CompletableFuture.failedFuture(new StatusUnavailableException(
                "this API process has no task-status table; set api.status.url to a rollup instance's URL"
                        + " (for example http://rollup:8082) to answer GET /v1/tasks/{id}"));
    }

    public static HealthCheck rollupsReadiness(Rollups rollups) {
        return new HealthCheck() {
            @Override
            public String name() {
                return "rollups";
            }

            @Override
            public CompletionStage<Health> check() {
                return CompletableFuture.completedFuture(new Health(rollups.isRunning(), "streams " + rollups.state()));
            }
        };
    }

    /**
     * Every role in this process against one cluster, as {@code conveyor run} has them: topics,
     * rollups, one worker, and the API serving submissions, lookups and one /metrics for all.
     */
    public static ApiServer all(Node node, ConveyorConfig config, PrometheusMeterRegistry registry) {
        return all(node, config, registry, new FatalErrors());
    }

    /** As {@link #all(Node, ConveyorConfig, PrometheusMeterRegistry)}, reporting fatal errors. */
    public static ApiServer all(Node node, ConveyorConfig config, PrometheusMeterRegistry registry, FatalErrors fatal) {
        Admin admin = admin(node, config, registry);
        provision(admin, config, true);
        requireStreamsReplication(admin, config);
        Rollups rollups = rollups(node, config, registry, fatal);
        worker(node, config, registry, fatal);
        return startRollups(
                rollups,
                http(
                        node,
                        lookups(ApiServer.builder(config, registry).acceptTasks(), rollups),
                        List.of(kafkaReadiness(admin, config), rollupsReadiness(rollups)),
                        fatal));
    }

    /**
     * The HTTP server of a role: {@code /health/ready} waits for {@code checks} and turns red for
     * good after a fatal error.
     */
    public static ApiServer http(Node node, ApiServer.Builder builder, List<HealthCheck> checks) {
        return http(node, builder, checks, new FatalErrors());
    }

    /** As {@link #http(Node, ApiServer.Builder, List)}; {@code /health/ready} also reports {@code fatal}. */
    public static ApiServer http(Node node, ApiServer.Builder builder, List<HealthCheck> checks, FatalErrors fatal) {
        checks.forEach(builder::healthCheck);
        builder.healthCheck(fatal.health()).fatalErrors(fatal);
        return node.add("http server", builder.start());
    }
}
