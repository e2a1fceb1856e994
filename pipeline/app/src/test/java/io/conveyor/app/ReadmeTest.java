package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.MeterSpec;
import io.conveyor.core.Meters;
import io.conveyor.core.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration and metrics tables list exactly what the code defines. */
class ReadmeTest {
    private static final Path README = Path.of("../../README.md");

    @Test
    void everySettingIsDocumentedWithItsDefault() throws Exception {
        String readme = Files.readString(README);
        for (Setting<?> s : ConveyorConfig.SETTINGS) {
            String row = "| `" + s.key() + "` |";
            assertThat(readme).as("README row for %s", s.key()).contains(row);
            if (s.defaultValue() != null && !s.key().equals(ConveyorConfig.ROLLUP_STATE_DIR.key())) {
                assertThat(readme).as("default of %s", s.key()).contains(row + " `" + s.defaultValue() + "` |");
            }
        }
    }

    @Test
    void everyMeterIsInTheCatalogueTable() throws Exception {
        String readme = Files.readString(README);
        for (MeterSpec m : Meters.ALL) {
            assertThat(readme).as("README row for %s", m.prometheusName()).contains("| `" + m.prometheusName() + "` |");
        }
    }
}
