package io.conveyor.core;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Loads a {@link ConveyorConfig} from its four layers, each overriding the one before: defaults,
 * a properties file, {@code CONVEYOR_*} environment variables, and flags.
 *
 * <p>An environment variable names a key in upper case with dots as underscores: {@code
 * CONVEYOR_WORKER_QUEUE_CAPACITY=500} sets {@code worker.queue.capacity}, {@code
 * CONVEYOR_KAFKA_PRODUCER_LINGER_MS=5} sets {@code kafka.producer.linger.ms}.
 */
public final class ConfigLoader {
    static final String ENV_PREFIX = "CONVEYOR_";

    /** Variables the launcher script and the logging configuration read; they are not settings. */
    static final Set<String> LAUNCHER_VARIABLES =
            Set.of("CONVEYOR_JAVA_HOME", "CONVEYOR_JAVA_OPTS", "CONVEYOR_HOME", "CONVEYOR_LOG_LEVEL");

    private ConfigLoader() {}

    /**
     * @param file a properties file, or null for none
     * @param environment the process environment (only {@code CONVEYOR_*} entries are read)
     * @param flags settings given on the command line, key to value
     * @throws ConfigException naming the key, value and source of the first bad setting
     */
    public static ConveyorConfig load(Path file, Map<String, String> environment, Map<String, String> flags) {
        ConveyorConfig.Builder builder = ConveyorConfig.builder();
        if (file != null) {
            Properties props = readFile(file);
            for (String key : props.stringPropertyNames()) {
                builder.set(key.trim(), props.getProperty(key), "file " + file);
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && !LAUNCHER_VARIABLES.contains(name)) {
                builder.set(keyOf(name), value, "environment variable " + name);
            }
        });
        flags.forEach((key, value) -> builder.set(key, value, "flag --" + key));
        return builder.build();
    }

    /** {@code worker.queue.capacity} → {@code CONVEYOR_WORKER_QUEUE_CAPACITY}. */
    public static String environmentVariable(String key) {
        return ENV_PREFIX + key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    static String keyOf(String environmentVariable) {
        return environmentVariable
                .substring(ENV_PREFIX.length())
                .toLowerCase(Locale.ROOT)
                .replace('_', '.');
    }

    private static Properties readFile(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
            return props;
        } catch (NoSuchFileException e) {
            throw new ConfigException("--config", "configuration file " + file.toAbsolutePath() + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(
                    "--config",
                    "configuration file " + file.toAbsolutePath() + " could not be read: " + e.getMessage());
        }
    }
}
