package io.conveyor.infra.kafka;

import java.util.Locale;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives each test class one {@link KafkaBroker}, started before the first
 * test and closed after the last. Declare a {@code KafkaBroker} parameter on a test method,
 * constructor, {@code @BeforeAll} or {@code @BeforeEach} method to get it; {@code @Nested} classes
 * share their enclosing class's broker.
 *
 * <pre>{@code
 * @ExtendWith(KafkaBrokerExtension.class)
 * class WorkerIT {
 *   @Test
 *   void runsTask(KafkaBroker broker) {
 *     String topic = broker.uniqueName("tasks");
 *     broker.createTopics(3, topic);
 *   }
 * }
 * }</pre>
 *
 * <p>System property {@value #BROKER_PROPERTY} chooses the broker: {@code embedded} (default, an
 * {@link EmbeddedKafkaBroker} in this JVM), {@code container} (a {@link ContainerKafkaBroker}
 * from the image in {@value #IMAGE_PROPERTY}, default {@value ContainerKafkaBroker#DEFAULT_IMAGE})
 * or {@code cluster} (a {@link ContainerKafkaCluster} of {@value #CLUSTER_NODES} nodes from that
 * image).
 * Use a fresh topic and group per test ({@link KafkaBroker#uniqueName(String)}).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    /** System property that chooses the kind of broker: {@code embedded} or {@code container}. */
    public static final String BROKER_PROPERTY = "conveyor.test.broker";

    /** Nodes of the cluster that {@code cluster} starts. */
    public static final int CLUSTER_NODES = 3;

    /** System property naming the image of a container broker. */
    public static final String IMAGE_PROPERTY = "conveyor.kafka.image";

    private static final Namespace NAMESPACE = Namespace.create(KafkaBrokerExtension.class);
    private static final String KEY = "broker";

    @Override
    public void beforeAll(ExtensionContext context) {
        broker(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        // Only the class that started the broker closes it; a @Nested class finds its parent's.
        KafkaBroker broker = context.getStore(NAMESPACE).remove(KEY, KafkaBroker.class);
        if (broker != null) {
            broker.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
            throws ParameterResolutionException {
        return broker(context);
    }

    /** The broker of the test class of {@code context}, started on first use. */
    private static KafkaBroker broker(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent()
                && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(KEY, key -> startBroker(), KafkaBroker.class);
    }

    private static KafkaBroker startBroker() {
        String kind = System.getProperty(BROKER_PROPERTY, "embedded").trim().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "", "embedded" -> EmbeddedKafkaBroker.start();
            case "container" ->
                ContainerKafkaBroker.start(System.getProperty(IMAGE_PROPERTY, ContainerKafkaBroker.DEFAULT_IMAGE));
            case "cluster" ->
                ContainerKafkaCluster.start(
                        System.getProperty(IMAGE_PROPERTY, ContainerKafkaBroker.DEFAULT_IMAGE),
                        CLUSTER_NODES,
                        java.util.Map.of());
            default ->
                throw new IllegalStateException("System property "
                        + BROKER_PROPERTY
                        + " must be 'embedded', 'container' or 'cluster', but was '"
                        + kind
                        + "'");
        };
    }
}
