package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The window settings of the rollups: sizes parsed and sorted, bad values named with their key. */
class RollupSettingsTest {

    @Test
    void defaultsAreTenSecondsAndAMinuteWithFiveSecondsOfGrace() {
        ConveyorConfig defaults = ConveyorConfig.defaults();
        assertThat(defaults.get(ConveyorConfig.ROLLUP_WINDOWS))
                .containsExactly(Duration.ofSeconds(10), Duration.ofMinutes(1));
        assertThat(defaults.get(ConveyorConfig.ROLLUP_GRACE_MS)).isEqualTo(5_000L);
        assertThat(defaults.get(ConveyorConfig.ROLLUP_PUNCTUATE_INTERVAL_MS)).isEqualTo(1_000L);
    }

    @Test
    void sizesAreSortedAndDeduplicated() {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.ROLLUP_WINDOWS, "1h, 500ms,1m,60s")
                .build();
        assertThat(config.get(ConveyorConfig.ROLLUP_WINDOWS))
                .isEqualTo(List.of(Duration.ofMillis(500), Duration.ofMinutes(1), Duration.ofHours(1)));
    }

    @Test
    void badSizesNameTheKeyAndTheValue() {
        for (String bad : List.of("", "10", "0s", "-5s", "10d", "1s,2s,3s,4s,5s")) {
            assertThatThrownBy(() -> ConveyorConfig.builder()
                            .set(ConveyorConfig.ROLLUP_WINDOWS, bad)
                            .build())
                    .as("'%s'", bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("rollup.windows ")
                    .hasMessageContaining("'" + bad + "'");
        }
        assertThatThrownBy(() -> ConveyorConfig.builder()
                        .set(ConveyorConfig.ROLLUP_GRACE_MS, -1)
                        .build())
                .hasMessage("rollup.grace.ms must be >= 0, but was '-1' (from code)");
    }
}
