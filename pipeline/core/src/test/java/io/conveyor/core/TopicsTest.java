package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicsTest {
    private final Topics topics = new Topics("acme", 4, Optional.of((short) 3));

    @Test
    void namesEveryTopicFromThePrefix() {
        assertThat(topics.taskTopics()).containsExactly("acme.tasks.high", "acme.tasks.normal", "acme.tasks.low");
        assertThat(topics.retry()).isEqualTo("acme.tasks.retry");
        assertThat(topics.deadLetters()).isEqualTo("acme.tasks.dlq");
        assertThat(topics.results()).isEqualTo("acme.results");
        assertThat(topics.control()).isEqualTo("acme.control");
        assertThat(topics.rollups()).isEqualTo("acme.rollups");
        assertThat(topics.all())
                .hasSize(8)
                .allSatisfy(spec -> assertThat(spec.partitions()).isEqualTo(4));
    }

    @Test
    void knowsThePriorityOfEachTaskTopicAndOfNoOther() {
        for (Priority p : Priority.values()) {
            assertThat(topics.priorityOf(topics.tasks(p))).contains(p);
        }
        assertThat(topics.priorityOf(topics.retry())).isEmpty();
        assertThat(topics.priorityOf("other.tasks.high")).isEmpty();
    }

    @Test
    void isAValue() {
        assertThat(topics)
                .isEqualTo(new Topics("acme", 4, Optional.of((short) 3)))
                .hasSameHashCodeAs(new Topics("acme", 4, Optional.of((short) 3)))
                .isNotEqualTo(new Topics("acme", 5, Optional.of((short) 3)))
                .isNotEqualTo(new Topics("acme", 4, Optional.empty()))
                .isNotEqualTo(new Topics("other", 4, Optional.of((short) 3)));
    }

    @Test
    void rejectsAPrefixKafkaWouldRefuse() {
        assertThatThrownBy(() -> new Topics("has space", 1, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("topics.prefix must be letters, digits");
    }
}
