package io.conveyor.infra.kafka;

import io.conveyor.infra.kafka.internal.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * A running Kafka broker that clients reach at {@link #bootstrapServers()}: an in-process {@link
 * EmbeddedKafkaBroker} or a {@link ContainerKafkaBroker}.
 *
 * <p>Implementations are thread-safe; {@link #close()} is idempotent.
 */
public interface KafkaBroker extends AutoCloseable {

    /** The {@code host:port} list that clients use as {@code bootstrap.servers}. */
    String bootstrapServers();

    /** Stops the broker and releases its resources. Calling it again does nothing. */
    @Override
    void close();

    /** A new mutable map holding only {@code bootstrap.servers}, to start a client config from. */
    default Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return config;
    }

    /**
     * A name that no other call returns, for the topic, group or transactional id of one test:
     * {@code prefix-} followed by 12 random hex digits.
     *
     * @param prefix 1 to 200 letters, digits, '.', '_' or '-' (what Kafka allows in a topic name)
     */
    default String uniqueName(String prefix) {
        return Topics.uniqueName(prefix);
    }

    /**
     * Creates topics with {@code partitions} partitions and the broker's default replication factor,
     * and returns once the broker has created them (waiting at most 30 s).
     *
     * @throws KafkaBrokerException if the broker refuses, for example because a topic exists
     */
    default void createTopics(int partitions, String... topics) {
        Topics.create(clientConfig(), partitions, List.of(topics));
    }
}
