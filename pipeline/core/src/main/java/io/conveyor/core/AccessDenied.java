package io.conveyor.core;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.DelegationTokenAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Kafka refusing this client: failed authentication, or an ACL that is missing. Neither goes away
 * by retrying, so a role that meets one reports it once ({@link FatalErrors}) and stops, with a
 * message that names the resource, the operation the role needed, and the {@code kafka-acls.sh}
 * command that grants it. Stateless.
 */
public final class AccessDenied {
    private AccessDenied() {}

    /** What was refused, found in {@code error} or one of its causes. */
    public record Refusal(String message, Throwable cause) {}

    /** Stands for the caller's principal in messages until {@link FatalErrors} knows it. */
    public static final String PRINCIPAL = "User:<principal>";

    /**
     * The resources in use where the refusal happened, named when Kafka refuses without saying
     * which (no group from a consumer's heartbeat, no transactional id, no topic being created);
     * null where unknown.
     */
    public record Names(String topic, String group, String transactionalId) {
        public static final Names NONE = new Names(null, null, null);

        public static Names topic(String topic) {
            return new Names(topic, null, null);
        }

        public static Names group(String group) {
            return new Names(null, group, null);
        }

        public static Names transactionalId(String id) {
            return new Names(null, null, id);
        }
    }

    /**
     * The refusal in {@code error}, if it is one.
     *
     * @param operation what the role needed, in Kafka's ACL terms ({@code READ}, {@code WRITE},
     *     {@code DESCRIBE}, ...; several separated by commas), for the message
     * @param context the resources in use, for a refusal that does not name its own
     */
    public static Optional<Refusal> find(Throwable error, String operation, Names context) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Optional<String> message = describe(t, operation, context);
            if (message.isPresent()) {
                return Optional.of(new Refusal(message.get(), t));
            }
        }
        return Optional.empty();
    }

    /** Whether {@code error} or one of its causes is an authentication or authorization failure. */
    public static boolean isRefusal(Throwable error) {
        return find(error, "access", Names.NONE).isPresent();
    }

    private static Optional<String> describe(Throwable t, String operation, Names context) {
        String op = operation.toUpperCase(java.util.Locale.ROOT);
        if (t instanceof TopicAuthorizationException e) {
            Set<String> topics = e.unauthorizedTopics().isEmpty() && context.topic() != null
                    ? Set.of(context.topic())
                    : e.unauthorizedTopics();
            String names = topics.isEmpty()
                    ? "(not named by the broker)"
                    : String.join(", ", topics.stream().sorted().toList());
            String example = topics.isEmpty() ? "<topic>" : topics.iterator().next();
            return Optional.of("Kafka denied " + op.replace(",", " and ") + " on topic " + names + " (" + e.getMessage()
                    + "); grant it: kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal " + PRINCIPAL
                    + " --operation " + aclOperation(op) + " --topic " + example);
        }
        if (t instanceof GroupAuthorizationException e) {
            String group = e.groupId() != null ? e.groupId() : context.group() != null ? context.group() : "<group>";
            String groupOp = op.contains("READ") || op.contains("WRITE") ? "READ" : op;
            return Optional.of("Kafka denied " + groupOp + " on group " + group + " (" + e.getMessage()
                    + "); grant it: kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal " + PRINCIPAL
                    + " --operation " + aclOperation(groupOp) + " --group " + group);
        }
        if (t instanceof TransactionalIdAuthorizationException e) {
            String id = context.transactionalId() == null ? "<transactional id>" : context.transactionalId();
            return Optional.of("Kafka denied WRITE on transactional id " + id + " (" + e.getMessage()
                    + "); grant it: kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal " + PRINCIPAL
                    + " --operation Write --operation Describe --transactional-id " + id
                    + (id.endsWith("-") ? " --resource-pattern-type prefixed" : ""));
        }
        if (t instanceof ClusterAuthorizationException e) {
            String clusterOp = op.contains("WRITE") ? "IDEMPOTENT_WRITE" : op;
            return Optional.of("Kafka denied " + clusterOp + " on the cluster (" + e.getMessage()
                    + "); grant it: kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal " + PRINCIPAL
                    + " --operation " + aclOperation(clusterOp) + " --cluster");
        }
        if (t instanceof DelegationTokenAuthorizationException e) {
            return Optional.of("Kafka denied a delegation-token operation (" + e.getMessage() + ")");
        }
        if (t instanceof AuthenticationException e) {
            return Optional.of("Kafka refused to authenticate this client (" + e.getMessage()
                    + "); check kafka.security.protocol, kafka.sasl.* and kafka.ssl.*");
        }
        return Optional.empty();
    }

    /**
     * {@code IDEMPOTENT_WRITE} → {@code IdempotentWrite}, as kafka-acls.sh spells operations; a list
     * {@code READ,WRITE} → {@code Read --operation Write}.
     */
    static String aclOperation(String op) {
        StringBuilder sb = new StringBuilder();
        for (String one : op.split(",")) {
            if (!sb.isEmpty()) {
                sb.append(" --operation ");
            }
            for (String part : one.trim().toLowerCase(java.util.Locale.ROOT).split("_")) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }
}
