package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

    private final KafkaBroker broker = new KafkaBroker() {
        @Override
        public String bootstrapServers() {
            return "127.0.0.1:1";
        }

        @Override
        public void close() {}
    };

    @Test
    void uniqueNamesStartWithThePrefixAndDoNotRepeat() {
        Set<String> names = new HashSet<>();
        IntStream.range(0, 1_000).forEach(i -> names.add(broker.uniqueName("tasks.high")));

        assertThat(names).hasSize(1_000).allMatch(name -> name.matches("tasks\\.high-[0-9a-f]{12}"));
    }

    @Test
    void uniqueNameRefusesCharactersKafkaRefuses() {
        assertThatThrownBy(() -> broker.uniqueName("tasks/high"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix must be 1 to 200 characters of [a-zA-Z0-9._-], but was 'tasks/high'");
    }

    @Test
    void clientConfigHoldsBootstrapServers() {
        assertThat(broker.clientConfig()).containsOnlyKeys("bootstrap.servers");
        assertThat(broker.clientConfig().get("bootstrap.servers")).isEqualTo("127.0.0.1:1");
    }

    @Test
    void createTopicsNeedsAtLeastOnePartition() {
        assertThatThrownBy(() -> broker.createTopics(0, "t")).hasMessage("partitions must be >= 1, but was 0");
    }
}
