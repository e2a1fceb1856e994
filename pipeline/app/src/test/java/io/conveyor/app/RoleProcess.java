package io.conveyor.app;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code conveyor <role>} in a JVM of its own, as an operator runs it (the test class path,
 * {@code --config FILE}), with its stdout and stderr in one log file. Kafka's loggers are at INFO
 * in it (their configuration dumps included), so that a secret Kafka would print is caught by a
 * search of the log.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class RoleProcess implements AutoCloseable {
    private static final Pattern PORT = Pattern.compile("HTTPS? on port (\\d+)");
    private static final String LOG4J = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Configuration status="WARN">
              <Appenders>
                <Console name="STDOUT" target="SYSTEM_OUT">
                  <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1.} - %msg%n%throwable"/>
                </Console>
              </Appenders>
              <Loggers>
                <Logger name="io.conveyor" level="DEBUG"/>
                <Logger name="org.apache.kafka.common.metrics" level="WARN"/>
                <Root level="INFO">
                  <AppenderRef ref="STDOUT"/>
                </Root>
              </Loggers>
            </Configuration>
            """;

    private final String name;
    private final Process process;
    private final Path log;

    private RoleProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code conveyor <args>}; its log goes to {@code <dir>/<name>.log}. */
    static RoleProcess start(String name, Path dir, List<String> args) {
        try {
            Path logConfig = dir.resolve("log4j2-roles.xml");
            if (!Files.exists(logConfig)) {
                Files.writeString(logConfig, LOG4J);
            }
            Path log = dir.resolve(name + ".log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m",
                    "-XX:TieredStopAtLevel=1",
                    "-Dlog4j2.configurationFile=" + logConfig,
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName()));
            command.addAll(args);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .directory(new File("."))
                    .start();
            return new RoleProcess(name, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The HTTP port the role printed once running. */
    int awaitPort(Duration timeout) {
        int[] port = new int[1];
        await().atMost(timeout)
                .pollInterval(Duration.ofMillis(100))
                .failFast("the " + name + " process exited; its log:\n" + lastLines(), () -> !process.isAlive())
                .until(() -> {
                    Matcher m = PORT.matcher(log());
                    if (m.find()) {
                        port[0] = Integer.parseInt(m.group(1));
                        return true;
                    }
                    return false;
                });
        return port[0];
    }

    /** Waits for the process to exit by itself and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(
                    "the " + name + " process did not exit within " + timeout + "; its log:\n" + lastLines());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String name() {
        return name;
    }

    /** Everything the process wrote so far. */
    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String lastLines() {
        List<String> lines = log().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** Stops it as an operator would (SIGTERM), and waits for it. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
