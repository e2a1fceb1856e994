package io.conveyor.bench.worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts records on a topic and a group's committed offsets through an Admin client (a cheap
 * ListOffsets every few milliseconds instead of a consumer reading every result). Its client id
 * carries {@link CpuMeter#HARNESS}, so its network thread is not charged to the subject. Used by
 * one thread at a time.
 */
final class ResultCounter implements AutoCloseable {
    private final Admin admin;

    ResultCounter(String bootstrap) {
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG,
                CpuMeter.HARNESS + "-admin"));
    }

    /** The sum of the end offsets of the topic's partitions: records written (and acked) so far. */
    long records(String topic, int partitions) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions(topic, partitions).forEach(tp -> request.put(tp, OffsetSpec.latest()));
        try {
            return admin.listOffsets(request).all().get().values().stream()
                    .mapToLong(ListOffsetsResultInfo::offset)
                    .sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the offsets of " + topic, e.getCause());
        }
    }

    /** The sum of the group's committed offsets on the topic. */
    long committed(String group, String topic, int partitions) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get();
            return partitions(topic, partitions).stream()
                    .map(offsets::get)
                    .mapToLong(o -> o == null ? 0 : o.offset())
                    .sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the offsets of group " + group, e.getCause());
        }
    }

    private static List<TopicPartition> partitions(String topic, int partitions) {
        return IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p))
                .toList();
    }

    @Override
    public void close() {
        admin.close();
    }
}
