package io.conveyor.core;

/** The kinds of Kafka client Conveyor creates; each can get its own raw settings. */
public enum KafkaClientKind {
    PRODUCER("producer"),
    CONSUMER("consumer"),
    ADMIN("admin"),
    STREAMS("streams");

    private final String prefix;

    KafkaClientKind(String prefix) {
        this.prefix = prefix;
    }

    /** Settings under {@code kafka.<prefix>.} go to this kind of client only. */
    public String settingsPrefix() {
        return ConveyorConfig.KAFKA_PREFIX + prefix + ".";
    }
}
