package io.conveyor.app;

import io.conveyor.core.ConfigLoader;
import io.conveyor.core.ConveyorConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The configuration flags every command shares; they override file and environment. */
final class ConfigOptions {
    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "A properties file of settings (overridden by CONVEYOR_* variables and flags)")
    Path file;

    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            description = "Kafka brokers (kafka.bootstrap.servers), e.g. kafka-1:9092,kafka-2:9092")
    String bootstrap;

    @Option(names = "--http-port", paramLabel = "PORT", description = "Port of the HTTP server (http.port)")
    Integer httpPort;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description = "Any setting, e.g. --set worker.concurrency=200 or --set kafka.producer.linger.ms=5")
    Map<String, String> settings = new LinkedHashMap<>();

    ConveyorConfig load() {
        Map<String, String> flags = new LinkedHashMap<>(settings);
        if (bootstrap != null) {
            flags.put(ConveyorConfig.BOOTSTRAP_SERVERS.key(), bootstrap);
        }
        if (httpPort != null) {
            flags.put(ConveyorConfig.HTTP_PORT.key(), String.valueOf(httpPort));
        }
        return ConfigLoader.load(file, System.getenv(), flags);
    }
}
