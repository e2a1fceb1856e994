package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaAcls;
import io.conveyor.core.Secrets;
import io.conveyor.core.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/security.md says what the code does: each role's ACLs, the HTTPS settings, the secrets rule. */
class SecurityDocTest {
    private static final Path DOC = Path.of("../../docs/security.md");

    @Test
    void everyRequiredAclIsListedWithItsCommand() throws Exception {
        String doc = Files.readString(DOC);
        ConveyorConfig defaults = ConveyorConfig.defaults();
        for (KafkaAcls.Role role : KafkaAcls.Role.values()) {
            for (KafkaAcls.Acl acl : KafkaAcls.required(role, defaults)) {
                assertThat(doc)
                        .as("%s needs %s", role, acl)
                        .contains(acl.command("User:" + role.wireName()))
                        .contains("| " + acl.operation() + " | " + acl.why() + " |");
            }
        }
    }

    @Test
    void everyHttpsSettingAndEverySecretMarkerIsThere() throws Exception {
        String doc = Files.readString(DOC);
        for (Setting<?> s : ConveyorConfig.SETTINGS) {
            if (s.key().startsWith("http.tls.")) {
                assertThat(doc).contains("| `" + s.key() + "` |");
            }
        }
        for (String marker : Secrets.MARKERS) {
            assertThat(doc).as("secret marker %s", marker).contains("`" + marker + "`");
        }
    }

    @Test
    void theReadmePointsHere() throws Exception {
        assertThat(Files.readString(Path.of("../../README.md"))).contains("(docs/security.md)");
    }
}
