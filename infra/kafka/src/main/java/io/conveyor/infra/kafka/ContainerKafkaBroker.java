package io.conveyor.infra.kafka;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A single-node Kafka broker in a Docker container, through Testcontainers' {@link
 * KafkaContainer}: any image that behaves like {@code apache/kafka} (its {@code
 * /etc/kafka/docker/run} turns {@code KAFKA_*} variables into broker properties), such as the
 * local {@code conveyor/kafka:4.3.1-local} built by {@code infra/deploy/kafka-image/build.sh}.
 *
 * <p>Configured like {@link EmbeddedKafkaBroker}: internal topics (including the share-group
 * state topic) with one replica, no automatic topic creation. Needs the optional {@code
 * org.testcontainers:testcontainers-kafka} dependency and a Docker engine. Thread-safe; {@link
 * #close()} is idempotent.
 */
public final class ContainerKafkaBroker implements KafkaBroker {

    /** The image used when none is given. */
    public static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

    private static final Logger log = LoggerFactory.getLogger(ContainerKafkaBroker.class);

    private final KafkaContainer container;
    private final String bootstrapServers;
    private final Duration startupTime;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerKafkaBroker(KafkaContainer container, String bootstrapServers, Duration startupTime) {
        this.container = container;
        this.bootstrapServers = bootstrapServers;
        this.startupTime = startupTime;
    }

    /** Starts a broker from {@link #DEFAULT_IMAGE}. */
    public static ContainerKafkaBroker start() {
        return start(DEFAULT_IMAGE);
    }

    /**
     * Starts a broker from {@code image} and returns when Kafka reports it running.
     *
     * @throws KafkaBrokerException if there is no Docker engine, the image cannot be found, or the
     *     broker does not come up
     */
    public static ContainerKafkaBroker start(String image) {
        Objects.requireNonNull(image, "image");
        if (image.isBlank()) {
            throw new IllegalArgumentException("image must not be blank, but was '" + image + "'");
        }
        long started = System.nanoTime();
        KafkaContainer container = new KafkaContainer(
                        DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_NUM_PARTITIONS", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "1")
                .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                .withEnv("KAFKA_DEFAULT_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_MIN_INSYNC_REPLICAS", "1");
        try {
            container.start();
        } catch (RuntimeException e) {
            container.close();
            throw new KafkaBrokerException(
                    "Cannot start a Kafka container from image "
                            + image
                            + ": "
                            + e.getMessage()
                            + ". Check that a Docker engine is running ('docker info') and that the image"
                            + " exists or can be pulled; build the local one with"
                            + " infra/deploy/kafka-image/build.sh.",
                    e);
        }
        Duration startupTime = Duration.ofNanos(System.nanoTime() - started);
        String bootstrapServers = container.getBootstrapServers();
        log.info("Kafka container {} ready at {} in {} ms", image, bootstrapServers, startupTime.toMillis());
        return new ContainerKafkaBroker(container, bootstrapServers, startupTime);
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** From the call to {@link #start} until Kafka reported the broker running. */
    public Duration startupTime() {
        return startupTime;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            container.stop();
        }
    }

    @Override
    public String toString() {
        return "ContainerKafkaBroker[" + container.getDockerImageName() + ", " + bootstrapServers + "]";
    }
}
