package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The settings of the status table and of lookups across instances: defaults and URL checks. */
class LookupSettingsTest {

    @Test
    void defaults() {
        ConveyorConfig config = ConveyorConfig.defaults();
        assertThat(config.get(ConveyorConfig.ROLLUP_STATUS_RETENTION_MS)).isEqualTo(7L * 24 * 3600 * 1000);
        assertThat(config.get(ConveyorConfig.ROLLUP_ADVERTISED_URL)).isNull();
        assertThat(config.get(ConveyorConfig.ROLLUP_LOOKUP_TIMEOUT_MS)).isEqualTo(2_000L);
        assertThat(config.get(ConveyorConfig.API_STATUS_URL)).isNull();
    }

    @Test
    void urlsAreNormalized() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.ROLLUP_ADVERTISED_URL, "http://rollup-1")
                .set(ConveyorConfig.API_STATUS_URL, "https://rollups.example:8443/")
                .build();
        assertThat(config.get(ConveyorConfig.ROLLUP_ADVERTISED_URL)).isEqualTo("http://rollup-1");
        assertThat(config.get(ConveyorConfig.API_STATUS_URL)).isEqualTo("https://rollups.example:8443");
    }

    @Test
    void aBadUrlNamesTheKeyAndTheValue() {
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("api.status.url", "rollup:8080", "flag --set")
                        .build())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("api.status.url must be a URL like http://rollup-1:8080")
                .hasMessageContaining("'rollup:8080' (from flag --set)");
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("api.status.url", "http://rollup", "flag --set")
                        .build())
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("rollup.advertised.url", "ftp://rollup-1:8080", "flag --set")
                        .build())
                .hasMessageContaining("rollup.advertised.url must be a URL like http://rollup-1:8080 (http or https,");
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("rollup.advertised.url", "https://rollup-1:8080", "flag --set")
                        .build())
                .hasMessage("rollup.advertised.url 'https://rollup-1:8080' must start with http:// unless"
                        + " http.tls.cert is set: the scheme other instances use is the one this server speaks");
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("rollup.advertised.url", "http://rollup-1:8080/api", "flag --set")
                        .build())
                .hasMessageContaining("no path");
    }

    @Test
    void theRetentionIsAtLeastOneSecond() {
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set("rollup.status.retention.ms", "10", "flag --set")
                        .build())
                .hasMessageContaining("rollup.status.retention.ms must be >= 1000, but was '10'");
    }
}
