package io.conveyor.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of a catalogue that do not exist yet, and returns once every topic of the
 * catalogue has a leader for each partition (so that a client may write at once, whoever created
 * it). Idempotent: running it again, or from several processes at once, changes nothing. Existing
 * topics are left as they are (their partition count is reported, never changed).
 */
public final class TopicProvisioner {
    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    /** What a run did: the topics it created and those that were already there. */
    public record Report(List<String> created, List<String> existing) {}

    private final Admin admin;
    private final Duration timeout;

    public TopicProvisioner(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /**
     * Creation is acknowledged by the controller before the brokers lead the new partitions; a
     * producer that writes in between gets NOT_LEADER errors (and an idempotent producer can get
     * stuck on sequence errors). Wait until every partition answers a ListOffsets request, which
     * only the partition's leader does.
     */
    private void awaitLeaders(List<String> topics) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                var described =
                        admin.describeTopics(topics).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                described
                        .values()
                        .forEach(d -> d.partitions()
                                .forEach(p -> partitions.put(
                                        new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
                admin.listOffsets(partitions).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                // not led yet
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + topics + " have no leader after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    public Report ensure(Collection<TopicSpec> specs) {
        try {
            Set<String> present = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<String> created = new ArrayList<>();
            List<String> existing = new ArrayList<>();
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (present.contains(spec.name())) {
                    existing.add(spec.name());
                } else {
                    missing.add(new NewTopic(
                                    spec.name(), java.util.Optional.of(spec.partitions()), spec.replicationFactor())
                            .configs(spec.configs()));
                }
            }
            Map<String, org.apache.kafka.common.KafkaFuture<Void>> results =
                    admin.createTopics(missing).values();
            for (var entry : results.entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        existing.add(entry.getKey()); // another process won the race
                    } else {
                        throw new IllegalStateException(
                                "could not create topic " + entry.getKey() + ": "
                                        + AccessDenied.find(
                                                        e.getCause(),
                                                        "CREATE",
                                                        AccessDenied.Names.topic(entry.getKey()))
                                                .map(AccessDenied.Refusal::message)
                                                .orElse(e.getCause().getMessage()),
                                e.getCause());
                    }
                }
            }
            // Topics another process created a moment ago (listed already, or created while we tried)
            // are no more ready than our own: wait until every one of them is led.
            awaitLeaders(specs.stream().map(TopicSpec::name).toList());
            if (!created.isEmpty()) {
                log.info("Created topics {}", created);
            }
            return new Report(List.copyOf(created), List.copyOf(existing));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while provisioning topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "could not list topics on the Kafka cluster within "
                            + timeout.toSeconds()
                            + " s; check kafka.bootstrap.servers and that the brokers are up",
                    e);
        }
    }
}
