package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void aBadSettingStopsWithItsKeyValueAndSource() {
        assertThat(run("worker", "--set", "worker.queue.capacity=-5")).isEqualTo(2);
        assertThat(err.toString())
                .isEqualTo(
                        "conveyor: worker.queue.capacity must be >= 1, but was '-5' (from flag --worker.queue.capacity)"
                                + System.lineSeparator());
    }

    @Test
    void aMissingConfigFileIsNamed(@TempDir Path dir) {
        assertThat(run("api", "--config", dir.resolve("missing.properties").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("missing.properties does not exist");
    }

    @Test
    void anUnknownCommandSaysSoAndSuggestsOne() {
        assertThat(run("launch")).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument").contains("Did you mean: conveyor run?");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"run", "api", "worker", "rollup", "topics"})
    void everyCommandHasHelp(String command) {
        assertThat(run(command, "--help")).isZero();
        assertThat(out.toString()).contains("Usage: conveyor " + command, "--bootstrap", "--set", "--help");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void helpListsTheRoles() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("run", "api", "worker", "rollup", "topics");
    }
}
