package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One broker per test class, injected wherever JUnit resolves parameters. */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaBrokerExtensionIT {

    private static KafkaBroker fromBeforeAll;
    private KafkaBroker fromBeforeEach;

    @BeforeAll
    static void beforeAll(KafkaBroker broker) {
        fromBeforeAll = broker;
    }

    @BeforeEach
    void beforeEach(KafkaBroker broker) {
        fromBeforeEach = broker;
    }

    @Test
    void everyInjectionPointGetsTheSameBroker(KafkaBroker broker) {
        assertThat(broker).isSameAs(fromBeforeAll).isSameAs(fromBeforeEach);
        assertThat(broker.bootstrapServers()).isNotBlank();
    }

    @Test
    void topicsCanBeCreated(KafkaBroker broker) {
        String topic = broker.uniqueName("created");

        broker.createTopics(2, topic);

        assertThat(topic).startsWith("created-");
    }

    @Nested
    class NestedTests {

        @Test
        void shareTheEnclosingClassBroker(KafkaBroker broker) {
            assertThat(broker).isSameAs(fromBeforeAll);
        }
    }
}
