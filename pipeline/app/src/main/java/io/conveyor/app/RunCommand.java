package io.conveyor.app;

import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.infra.kafka.EmbeddedKafkaBroker;
import io.conveyor.producers.ApiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Everything in one JVM: an embedded broker, the API, one worker and the rollups. */
@Command(name = "run", description = "Run the whole pipeline in one process on an embedded Kafka broker (KRaft).")
final class RunCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(
            names = "--broker-port",
            paramLabel = "PORT",
            description = "Port of the embedded broker (broker.port, default 9092; a free port if taken)")
    Integer brokerPort;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        ConveyorConfig given = options.load();
        Node node = new Node();
        FatalErrors fatal = new FatalErrors(given.kafkaPrincipal());
        try {
            int wanted = brokerPort != null ? brokerPort : given.get(ConveyorConfig.BROKER_PORT);
            EmbeddedKafkaBroker broker = node.add(
                    "embedded broker",
                    EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Settings.builder()
                            .port(EmbeddedKafkaBroker.preferredPortOrFree(wanted))
                            .build()));
            Path stateDir = Files.createTempDirectory("conveyor-streams-");
            node.add("rollup state", () -> Utils.delete(stateDir.toFile()));
            ConveyorConfig config = given.toBuilder()
                    .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                    .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                    .set(ConveyorConfig.TOPICS_REPLICATION, 1)
                    .build();

            ApiServer api = Roles.all(node, config, Metrics.registry(node), fatal);

            long ms = (System.nanoTime() - start) / 1_000_000;
            String base = "http://localhost:" + api.port();
            System.out.printf(
                    """
                    Conveyor is running (started in %d ms).
                      API        %s   POST /v1/tasks, GET /v1/tasks/{id}
                      Metrics    %s/metrics
                      Health     %s/health/ready
                      Kafka      %s   (embedded KRaft broker; tasks topic %s)
                    Press Ctrl-C to stop.
                    """,
                    ms,
                    base,
                    base,
                    base,
                    broker.bootstrapServers(),
                    config.topics().tasks(io.conveyor.core.Priority.NORMAL));
        } catch (IOException e) {
            node.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            node.close();
            throw Main.redacted(e, given);
        }
        return Lifecycle.runUntilStopped(node, fatal, given);
    }
}
