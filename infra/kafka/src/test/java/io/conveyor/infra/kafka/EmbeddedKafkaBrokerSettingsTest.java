package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.infra.kafka.EmbeddedKafkaBroker.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmbeddedKafkaBrokerSettingsTest {

    @Test
    void defaultsPickAFreePortOnLoopback() {
        Settings settings = Settings.defaults();

        assertThat(settings.host()).isEqualTo("127.0.0.1");
        assertThat(settings.port()).isZero();
        assertThat(settings.overrides()).isEmpty();
        assertThat(settings.startupTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void builderKeepsEveryValue() {
        Settings settings = Settings.builder()
                .host("localhost")
                .port(9092)
                .override("num.io.threads", "2")
                .overrides(Map.of("log.retention.ms", "1000"))
                .startupTimeout(Duration.ofSeconds(5))
                .build();

        assertThat(settings.host()).isEqualTo("localhost");
        assertThat(settings.port()).isEqualTo(9092);
        assertThat(settings.overrides())
                .containsExactlyInAnyOrderEntriesOf(Map.of("num.io.threads", "2", "log.retention.ms", "1000"));
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void overridesAreCopiedAndImmutable() {
        Map<String, String> source = new HashMap<>(Map.of("num.io.threads", "2"));
        Settings settings = Settings.builder().overrides(source).build();
        source.put("num.io.threads", "8");

        assertThat(settings.overrides()).containsEntry("num.io.threads", "2");
        assertThatThrownBy(() -> settings.overrides().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65536, 70000})
    void portOutOfRangeNamesTheValue(int port) {
        assertThatThrownBy(() -> Settings.builder().port(port).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port must be between 0 and 65535 (0 picks a free port), but was " + port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void blankHostIsRefused(String host) {
        assertThatThrownBy(() -> Settings.builder().host(host).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host must not be blank, but was '" + host + "'");
    }

    @Test
    void nullHostIsRefused() {
        assertThatThrownBy(() -> Settings.builder().host(null).build())
                .hasMessage("host must not be blank, but was 'null'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"log.dirs", "log.dir", "metadata.log.dir"})
    void logDirectoriesCannotBeOverridden(String key) {
        assertThatThrownBy(() -> Settings.builder().override(key, "/data").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("overrides must not set "
                        + key
                        + "=/data: the broker keeps its data in a temporary directory that close()"
                        + " deletes");
    }

    @Test
    void listenersCannotBeOverridden() {
        assertThatThrownBy(() -> Settings.builder()
                        .override("listeners", "PLAINTEXT://:9092")
                        .build())
                .hasMessage("overrides must not set listeners=PLAINTEXT://:9092: set host and port instead");
    }

    @ParameterizedTest
    @ValueSource(strings = {"process.roles", "node.id", "controller.quorum.voters"})
    void nodeIdentityCannotBeOverridden(String key) {
        assertThatThrownBy(() -> Settings.builder().override(key, "x").build())
                .hasMessage("overrides must not set "
                        + key
                        + "=x: the embedded broker is one KRaft node with fixed roles and quorum");
    }

    @Test
    void nullOverrideValueIsRefused() {
        assertThatThrownBy(() ->
                        Settings.builder().override("num.io.threads", null).build())
                .hasMessage("overrides[num.io.threads] must not be null; remove the key to keep Kafka's default");
    }

    @Test
    void blankOverrideKeyIsRefused() {
        assertThatThrownBy(() -> Settings.builder().override(" ", "1").build())
                .hasMessage("overrides keys must not be blank, but one was ' '");
    }

    @Test
    void startupTimeoutMustBePositive() {
        assertThatThrownBy(
                        () -> Settings.builder().startupTimeout(Duration.ZERO).build())
                .hasMessage("startupTimeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> Settings.builder().startupTimeout(null).build())
                .hasMessage("startupTimeout must be > 0, but was null");
    }

    @Test
    void preferredPortMustBeAPort() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.preferredPortOrFree(0))
                .hasMessage("preferred port must be between 1 and 65535, but was 0");
    }
}
