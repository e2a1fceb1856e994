package io.conveyor.consumers.internal;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.KafkaClientKind;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, once at start-up, how long the partitions of a worker of this group that dies without
 * leaving (SIGKILL, a lost host) wait before another worker gets them: the group's session
 * timeout, which the brokers keep for the consumer-group protocol and share groups (read from the
 * group's config) and the member sets in the classic protocol. Without it a stall of that length
 * after a crash looks like a hang. Runs on a virtual thread of its own; a failure to read it
 * (no DESCRIBE_CONFIGS on the group, an old broker) is only logged at debug level.
 */
final class RecoveryNotice {
    private static final Logger log = LoggerFactory.getLogger(RecoveryNotice.class);

    private RecoveryNotice() {}

    /**
     * @param groupConfig the group config that holds the session timeout ({@code
     *     consumer.session.timeout.ms} or {@code share.session.timeout.ms}), or null when the member
     *     sets it
     * @param memberValue the member's own session timeout (classic protocol), when groupConfig is null
     */
    static void log(ConveyorConfig config, String workerId, String group, String groupConfig, Object memberValue) {
        Thread.ofVirtual().name("conveyor-recovery-notice").start(() -> {
            String value = String.valueOf(memberValue);
            String source = "its members' session.timeout.ms";
            if (groupConfig != null) {
                try (Admin admin = Admin.create(config.kafkaProperties(KafkaClientKind.ADMIN))) {
                    ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
                    ConfigEntry entry = admin.describeConfigs(List.of(resource))
                            .all()
                            .get(10, TimeUnit.SECONDS)
                            .get(resource)
                            .get(groupConfig);
                    if (entry == null) {
                        return;
                    }
                    value = entry.value();
                    source = "the group's " + groupConfig;
                } catch (Exception e) {
                    log.debug("Could not read the session timeout of group {}: {}", group, e.toString());
                    return;
                }
            }
            log.info(
                    "Worker {} is in group {}: a worker of this group that dies without leaving keeps its"
                            + " partitions for up to {} ms ({}) before another worker gets them"
                            + " (docs/operations.md, 'Recovery after a crash')",
                    workerId,
                    group,
                    value,
                    source);
        });
    }
}
