package io.conveyor.infra.kafka.internal;

import io.conveyor.infra.kafka.KafkaBrokerException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/** Topic names and topic creation for tests; stateless. */
public final class Topics {

    /** How long {@link #create} waits for the broker to create the topics. */
    public static final Duration CREATE_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern LEGAL_PREFIX = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    private Topics() {}

    /** {@code prefix-} followed by 12 random hex digits. */
    public static String uniqueName(String prefix) {
        if (prefix == null || !LEGAL_PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "prefix must be 1 to 200 characters of [a-zA-Z0-9._-], but was '" + prefix + "'");
        }
        return prefix + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Creates the topics through an {@link Admin} built from {@code clientConfig}. */
    public static void create(Map<String, Object> clientConfig, int partitions, List<String> topics) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, but was " + partitions);
        }
        List<NewTopic> newTopics = topics.stream()
                .map(topic -> new NewTopic(topic, Optional.of(partitions), Optional.empty()))
                .toList();
        try (Admin admin = Admin.create(clientConfig)) {
            admin.createTopics(newTopics).all().get(CREATE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaBrokerException("Interrupted while creating topics " + topics, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new KafkaBrokerException("Could not create topics " + topics + ": " + cause, cause);
        }
    }
}
