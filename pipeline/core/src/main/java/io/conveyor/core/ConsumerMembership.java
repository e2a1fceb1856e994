package io.conveyor.core;

import java.util.Set;

/**
 * How a Conveyor consumer takes part in Kafka's groups, which decides which of the user's {@code
 * kafka.consumer.*} settings reach it ({@link ConveyorConfig#consumerProperties}): a setting that
 * configures a kind of group reaches only consumers of that kind, so that one meant for the
 * workers' group cannot stop a consumer that has no group (Kafka refuses, for example, {@code
 * group.remote.assignor} on any consumer of the classic protocol, which is every consumer without
 * a group).
 */
public enum ConsumerMembership {
    /**
     * A member of a consumer group (the workers): every setting reaches it, and Kafka judges them
     * against the group protocol it runs.
     */
    CONSUMER_GROUP(Set.of()),

    /**
     * A member of a share group (KIP-932, {@code worker.mode=share}): not the settings Kafka refuses
     * on a share consumer, which are those of consumer groups and of offsets it does not keep.
     */
    SHARE_GROUP(Set.of(
            "group.protocol",
            "group.remote.assignor",
            "group.instance.id",
            "session.timeout.ms",
            "heartbeat.interval.ms",
            "partition.assignment.strategy",
            "auto.offset.reset",
            "enable.auto.commit",
            "isolation.level",
            "interceptor.classes")),

    /**
     * A consumer with assigned partitions and no group (a reader of the control topic or of the
     * rollups topic): none of the settings that configure a group or its membership.
     */
    NONE(Set.of(
            "group.id",
            "group.protocol",
            "group.remote.assignor",
            "group.instance.id",
            "session.timeout.ms",
            "heartbeat.interval.ms",
            "partition.assignment.strategy",
            "max.poll.interval.ms",
            "enable.auto.commit",
            "auto.commit.interval.ms"));

    private final Set<String> notApplied;

    ConsumerMembership(Set<String> notApplied) {
        this.notApplied = notApplied;
    }

    /** The consumer settings that do not reach a consumer of this kind. */
    public Set<String> settingsNotApplied() {
        return notApplied;
    }
}
