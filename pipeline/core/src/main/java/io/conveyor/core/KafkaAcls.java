package io.conveyor.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least each role needs from a cluster that authorizes with ACLs: the catalogue that
 * docs/security.md lists and that {@code AclIT} grants, exactly, to a broker with ACLs on (and
 * takes entries away from). Stateless.
 *
 * <p>Kafka's implications keep the lists short: READ, WRITE and DELETE imply DESCRIBE on the
 * same resource; an idempotent producer needs WRITE on a topic, not IDEMPOTENT_WRITE on the
 * cluster (KIP-679).
 */
public final class KafkaAcls {
    private KafkaAcls() {}

    /** The roles of the command line, each with its own principal. */
    public enum Role {
        API,
        WORKER,
        ROLLUP,
        TOPICS;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One ACL to allow: an operation on a resource (literal, or every name with a prefix), and why.
     * Without an {@code optional} one the role still runs, without the feature {@code why} names.
     */
    public record Acl(
            ResourceType resource,
            String name,
            PatternType pattern,
            AclOperation operation,
            String why,
            boolean optional) {
        public Acl(ResourceType resource, String name, PatternType pattern, AclOperation operation, String why) {
            this(resource, name, pattern, operation, why, false);
        }

        /** The {@code kafka-acls.sh} command that adds it for {@code principal} ({@code User:api}). */
        public String command(String principal) {
            String option = switch (resource) {
                case TOPIC -> "--topic " + name;
                case GROUP -> "--group " + name;
                case TRANSACTIONAL_ID -> "--transactional-id " + name;
                case CLUSTER -> "--cluster";
                default -> "--" + resource.name().toLowerCase(Locale.ROOT) + " " + name;
            };
            return "kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal " + principal + " --operation "
                    + AccessDenied.aclOperation(operation.name()) + " " + option
                    + (pattern == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
        }
    }

    /** What {@code role} needs with {@code config}'s topic prefix, worker group and application id. */
    public static List<Acl> required(Role role, ConveyorConfig config) {
        Topics topics = config.topics();
        String all = topics.prefix() + ".";
        String group = config.get(ConveyorConfig.WORKER_GROUP);
        String appId = config.get(ConveyorConfig.ROLLUP_APPLICATION_ID);
        List<Acl> acls = new ArrayList<>();
        switch (role) {
            case TOPICS -> {
                acls.add(prefixed(all, AclOperation.CREATE, "create the topics"));
                acls.add(prefixed(all, AclOperation.DESCRIBE, "see which exist, wait for their leaders"));
            }
            case API -> {
                acls.add(prefixed(all, AclOperation.DESCRIBE, "/health/ready: the topics exist"));
                for (String t : topics.taskTopics()) {
                    acls.add(topic(t, AclOperation.WRITE, "submit tasks"));
                }
                acls.add(topic(topics.control(), AclOperation.WRITE, "DELETE /v1/tasks/{id}: cancellations"));
                acls.add(topic(topics.rollups(), AclOperation.READ, "GET /v1/stats"));
                acls.add(optionalGroup(group, "optional: GET /v1/stats, the worker group's backlog"));
            }
            case WORKER -> {
                acls.add(prefixed(all, AclOperation.DESCRIBE, "/health/ready: the topics exist"));
                for (String t : topics.taskTopics()) {
                    acls.add(topic(t, AclOperation.READ, "run tasks"));
                }
                acls.add(topic(topics.retry(), AclOperation.READ, "run retries"));
                acls.add(topic(topics.retry(), AclOperation.WRITE, "schedule retries and delayed tasks"));
                acls.add(topic(topics.deadLetters(), AclOperation.WRITE, "dead-letter tasks"));
                acls.add(topic(topics.results(), AclOperation.WRITE, "publish every state change"));
                acls.add(topic(topics.control(), AclOperation.READ, "receive cancellations"));
                acls.add(group(group, AclOperation.READ, "join the worker group, commit offsets"));
                if (config.get(ConveyorConfig.WORKER_MODE).equals("share")) {
                    acls.add(group(group + ".retry", AclOperation.READ, "share mode: the retry topic's group"));
                    acls.add(group(group, AclOperation.ALTER_CONFIGS, "share mode: share.auto.offset.reset=earliest"));
                }
            }
            case ROLLUP -> {
                acls.add(prefixed(all, AclOperation.DESCRIBE, "/health/ready: the topics exist"));
                for (String t : topics.taskTopics()) {
                    acls.add(topic(t, AclOperation.READ, "count arrivals, write QUEUED"));
                }
                acls.add(topic(topics.results(), AclOperation.READ, "the status table and the windows"));
                acls.add(topic(topics.results(), AclOperation.WRITE, "QUEUED results"));
                acls.add(topic(topics.rollups(), AclOperation.WRITE, "emit closed windows"));
                acls.add(topic(topics.rollups(), AclOperation.READ, "GET /v1/stats, the gauges"));
                String internal = appId + "-";
                acls.add(prefixed(internal, AclOperation.CREATE, "create Kafka Streams' internal topics"));
                acls.add(prefixed(internal, AclOperation.READ, "restore changelogs, read the repartition topic"));
                acls.add(prefixed(internal, AclOperation.WRITE, "changelogs, the repartition topic"));
                acls.add(prefixed(internal, AclOperation.DELETE, "purge the repartition topic"));
                acls.add(group(appId, AclOperation.READ, "the Kafka Streams group"));
                acls.add(new Acl(
                        ResourceType.TRANSACTIONAL_ID,
                        internal,
                        PatternType.PREFIXED,
                        AclOperation.WRITE,
                        "exactly-once: one transactional id per stream thread"));
                acls.add(optionalGroup(group, "optional: the capacity hint, the worker group's backlog"));
            }
        }
        return List.copyOf(acls);
    }

    private static Acl optionalGroup(String name, String why) {
        return new Acl(ResourceType.GROUP, name, PatternType.LITERAL, AclOperation.DESCRIBE, why, true);
    }

    private static Acl topic(String name, AclOperation operation, String why) {
        return new Acl(ResourceType.TOPIC, name, PatternType.LITERAL, operation, why);
    }

    private static Acl prefixed(String prefix, AclOperation operation, String why) {
        return new Acl(ResourceType.TOPIC, prefix, PatternType.PREFIXED, operation, why);
    }

    private static Acl group(String name, AclOperation operation, String why) {
        return new Acl(ResourceType.GROUP, name, PatternType.LITERAL, operation, why);
    }
}
