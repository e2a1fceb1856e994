package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kafka itself judges which settings each kind of consumer takes: a consumer is built (which
 * validates its settings and connects to nothing) from what reaches it.
 */
class ConsumerMembershipTest {

    /** Group settings a user sets for the workers, under each protocol. */
    private static final Map<String, String> CONSUMER_PROTOCOL = Map.of(
            "kafka.consumer.group.remote.assignor", "range",
            "kafka.consumer.group.instance.id", "worker-a",
            "kafka.consumer.max.poll.interval.ms", "60000",
            "kafka.consumer.isolation.level", "read_committed",
            "kafka.consumer.interceptor.classes", "",
            "kafka.consumer.auto.offset.reset", "latest");

    private static final Map<String, String> CLASSIC_PROTOCOL = Map.of(
            "kafka.consumer.group.protocol", "classic",
            "kafka.consumer.session.timeout.ms", "10000",
            "kafka.consumer.heartbeat.interval.ms", "1000",
            "kafka.consumer.partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor",
            "kafka.consumer.group.instance.id", "worker-a",
            "kafka.consumer.auto.commit.interval.ms", "1000",
            "kafka.consumer.enable.auto.commit", "true");

    @ParameterizedTest
    @ValueSource(strings = {"consumer", "classic"})
    void eachConsumerTakesTheGroupSettingsThatApplyToIt(String protocol) {
        ConveyorConfig config = config(protocol.equals("classic") ? CLASSIC_PROTOCOL : CONSUMER_PROTOCOL);
        Map<String, Object> group = new HashMap<>(config.consumerProperties(ConsumerMembership.CONSUMER_GROUP));
        group.putIfAbsent(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        group.put(ConsumerConfig.GROUP_ID_CONFIG, "workers");

        assertThatCode(() -> build(group)).doesNotThrowAnyException();
        assertThatCode(() -> build(config.consumerProperties(ConsumerMembership.NONE)))
                .doesNotThrowAnyException();
        Map<String, Object> share = new HashMap<>(config.consumerProperties(ConsumerMembership.SHARE_GROUP));
        share.put(ConsumerConfig.GROUP_ID_CONFIG, "workers");
        assertThatCode(() -> buildShare(share)).doesNotThrowAnyException();
    }

    @Test
    void aConsumerWithoutAGroupGetsNoneOfItsSettings() {
        Map<String, String> all = new LinkedHashMap<>(CLASSIC_PROTOCOL);
        all.putAll(CONSUMER_PROTOCOL);
        all.put("kafka.consumer.group.id", "somewhere");
        all.put("kafka.consumer.fetch.max.wait.ms", "100");
        Map<String, Object> none = config(all).consumerProperties(ConsumerMembership.NONE);

        assertThat(none)
                .doesNotContainKeys(ConsumerMembership.NONE.settingsNotApplied().toArray(String[]::new));
        assertThat(none).containsEntry("fetch.max.wait.ms", "100").containsKey("isolation.level");
    }

    /** The lists are Kafka's: each setting left out is one Kafka refuses on that kind of consumer. */
    @ParameterizedTest
    @EnumSource(
            value = ConsumerMembership.class,
            names = {"SHARE_GROUP"})
    void everySettingLeftOutOfAShareConsumerIsOneKafkaRefusesThere(ConsumerMembership membership) {
        Map<String, Object> values = Map.of(
                "group.protocol", "consumer",
                "group.remote.assignor", "range",
                "group.instance.id", "a",
                "session.timeout.ms", "10000",
                "heartbeat.interval.ms", "1000",
                "partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor",
                "auto.offset.reset", "earliest",
                "enable.auto.commit", "false",
                "isolation.level", "read_committed",
                "interceptor.classes", "");
        assertThat(values.keySet()).isEqualTo(membership.settingsNotApplied());
        values.forEach((key, value) -> {
            Map<String, Object> props = new HashMap<>(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "g", key, value));
            assertThatThrownBy(() -> buildShare(props))
                    .as(key)
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining(key);
        });
    }

    @Test
    void theRemoteAssignorGivenForEveryClientReachesOnlyConsumers() {
        ConveyorConfig config = config(Map.of(
                "kafka.group.remote.assignor", "range",
                "kafka.group.protocol", "consumer",
                "kafka.client.rack", "a"));

        assertThat(config.kafkaProperties(KafkaClientKind.STREAMS))
                .doesNotContainKeys("group.remote.assignor", "group.protocol")
                .containsEntry("client.rack", "a");
        assertThat(config.consumerProperties(ConsumerMembership.CONSUMER_GROUP))
                .containsEntry("group.remote.assignor", "range");
        assertThat(config.consumerProperties(ConsumerMembership.NONE))
                .doesNotContainKeys("group.remote.assignor", "group.protocol");
    }

    private static ConveyorConfig config(Map<String, String> settings) {
        ConveyorConfig.Builder builder = ConveyorConfig.builder();
        settings.forEach((k, v) -> builder.set(k, v, "test"));
        return builder.build();
    }

    private static void build(Map<String, Object> props) {
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assertThat(consumer).isNotNull();
        }
    }

    private static void buildShare(Map<String, Object> settings) {
        Map<String, Object> props = new HashMap<>(settings);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        try (var consumer = new KafkaShareConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            assertThat(consumer).isNotNull();
        }
    }
}
