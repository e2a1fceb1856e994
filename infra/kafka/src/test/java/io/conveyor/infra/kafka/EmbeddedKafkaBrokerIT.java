package io.conveyor.infra.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.conveyor.infra.kafka.EmbeddedKafkaBroker.Settings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** Lifecycle of the in-process broker: each test starts its own. */
class EmbeddedKafkaBrokerIT {

    @Test
    void startsQuicklyAndCleansUpOnClose() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        Path logDir = broker.logDir();
        try {
            assertThat(broker.startupTime()).isLessThan(Duration.ofSeconds(5));
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());
            assertThat(logDir).isDirectory().startsWith(Path.of(System.getProperty("java.io.tmpdir")));
            try (Admin admin = Admin.create(broker.clientConfig())) {
                assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
                        .hasSize(1);
            }
        } finally {
            long closing = System.nanoTime();
            broker.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(Files.exists(logDir)).isFalse();
        broker.close(); // idempotent
    }

    @Test
    void explicitPortInUseIsNamedWithTheFix() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();

            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(
                            Settings.builder().port(port).build()))
                    .isInstanceOf(KafkaBrokerException.class)
                    .hasMessageContaining("port " + port + " on 127.0.0.1 is already in use")
                    .hasMessageContaining("configure another port, or use port 0");
        }
    }

    @Test
    void explicitPortIsUsedWhenFree() {
        int port = EmbeddedKafkaBroker.preferredPortOrFree(freePort());
        try (var broker =
                EmbeddedKafkaBroker.start(Settings.builder().port(port).build())) {
            assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
        }
    }

    @Test
    void preferredPortFallsBackToAFreeOneWhenTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();

            int chosen = EmbeddedKafkaBroker.preferredPortOrFree(port);

            assertThat(chosen).isNotEqualTo(port).isBetween(1, 65535);
        }
        int free = freePort();
        assertThat(EmbeddedKafkaBroker.preferredPortOrFree(free)).isEqualTo(free);
    }

    @Test
    void badOverrideIsNamedWithTheFix() {
        Settings settings =
                Settings.builder().override("num.io.threads", "lots").build();

        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(settings))
                .isInstanceOf(KafkaBrokerException.class)
                .hasMessageStartingWith("Invalid Kafka broker override num.io.threads=lots: ")
                .hasMessageEndingWith("Fix or remove it in the broker overrides.");
    }

    @Test
    void overridesReachTheBroker() throws Exception {
        Settings settings = Settings.builder().override("num.partitions", "4").build();
        try (var broker = EmbeddedKafkaBroker.start(settings);
                Admin admin = Admin.create(broker.clientConfig())) {
            var node = admin.describeCluster()
                    .nodes()
                    .get(10, TimeUnit.SECONDS)
                    .iterator()
                    .next();
            var resource = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.BROKER, node.idString());
            var config =
                    admin.describeConfigs(java.util.List.of(resource)).all().get(10, TimeUnit.SECONDS);
            assertThat(config.get(resource).get("num.partitions").value()).isEqualTo("4");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
