package io.conveyor.app;

import io.conveyor.core.AccessDenied;
import io.conveyor.core.ConfigException;
import io.conveyor.core.ConveyorConfig;
import java.io.PrintWriter;
import org.apache.logging.log4j.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code conveyor} command line. */
@Command(
        name = "conveyor",
        mixinStandardHelpOptions = true,
        // every command takes --help and --version, not only the top one
        scope = CommandLine.ScopeType.INHERIT,
        version = "Conveyor 0.1.0",
        description = "A durable task pipeline on Apache Kafka.",
        subcommands = {
            RunCommand.class,
            RoleCommands.Api.class,
            RoleCommands.WorkerRole.class,
            RoleCommands.Rollup.class,
            TopicsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        int code = execute(args);
        LogManager.shutdown();
        System.exit(code);
    }

    /** Runs the command line and returns its exit code (0 ok, 1 failed, 2 bad usage or setting). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #execute(String...)}, printing to the given writers. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            PrintWriter errors = commandLine.getErr();
            if (e instanceof ConfigException) {
                errors.println("conveyor: " + e.getMessage());
                return 2;
            }
            errors.println("conveyor: " + describe(e));
            return 1;
        });
        return cli.execute(args);
    }

    /**
     * {@code e} as the command line reports it, without the configuration's secret values
     * ({@link ConveyorConfig#redact}): a Kafka client may quote a setting in its error.
     */
    static RuntimeException redacted(RuntimeException e, ConveyorConfig config) {
        if (e instanceof ConfigException) {
            return e; // built by ConveyorConfig, which never shows a secret value
        }
        return new Failure(config.redact(describe(e)).replace(AccessDenied.PRINCIPAL, config.kafkaPrincipal()));
    }

    /** A failure already described in full (its causes' messages included). */
    private static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
                sb.append(": ").append(c.getMessage());
            }
        }
        return sb.toString();
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
