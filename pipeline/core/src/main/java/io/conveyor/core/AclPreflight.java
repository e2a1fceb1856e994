package io.conveyor.core;

import io.conveyor.core.KafkaAcls.Acl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before a role starts: asks the cluster what this principal may do (Kafka reports a caller's
 * authorized operations on topics and groups) and compares it with what the role needs ({@link
 * KafkaAcls}), so that a missing ACL is named, with the command that adds it, before anything runs.
 * On a cluster without an authorizer every operation is authorized, and nothing is reported.
 *
 * <p>What it cannot see is left to the role's own handling of refusals ({@link AccessDenied}): the
 * topics Kafka Streams has not created yet, CREATE on topics that do not exist, and WRITE on
 * transactional ids (it checks that the prefix may be described, which WRITE implies). Stateless;
 * blocks the calling thread for at most a few Admin calls.
 */
public final class AclPreflight {
    private static final Logger log = LoggerFactory.getLogger(AclPreflight.class);

    private AclPreflight() {}

    /** An ACL the principal lacks. */
    public record Missing(Acl acl) {}

    /**
     * The ACLs of {@code role} that the principal lacks, in catalogue order.
     *
     * @throws IllegalStateException if the cluster does not answer within {@code timeout}
     */
    public static List<Missing> check(Admin admin, KafkaAcls.Role role, ConveyorConfig config, Duration timeout) {
        List<Acl> required = KafkaAcls.required(role, config);
        Map<String, Set<AclOperation>> topics = topicOperations(admin, required, config, timeout);
        Map<String, Set<AclOperation>> groups = groupOperations(admin, required, timeout);
        List<Missing> missing = new ArrayList<>();
        for (Acl acl : required) {
            // a topic that does not exist, or a group that could not be described, is not judged here
            boolean granted = switch (acl.resource()) {
                case TOPIC ->
                    acl.pattern() == PatternType.LITERAL
                            ? !topics.containsKey(acl.name()) || allows(topics.get(acl.name()), acl.operation())
                            : prefixedGranted(acl, topics);
                case GROUP -> !groups.containsKey(acl.name()) || allows(groups.get(acl.name()), acl.operation());
                case TRANSACTIONAL_ID -> transactionalIdDescribable(admin, acl.name(), timeout);
                default -> true;
            };
            if (!granted) {
                missing.add(new Missing(acl));
            }
        }
        return List.copyOf(missing);
    }

    /**
     * The message that refuses the start: every missing ACL with its command; null when none of
     * the required ones is missing (optional ones are only logged).
     */
    public static String refusal(List<Missing> missing, KafkaAcls.Role role, String principal) {
        StringBuilder required = new StringBuilder();
        for (Missing m : missing) {
            String line =
                    "\n  " + m.acl().command(principal) + "   # " + m.acl().why();
            if (m.acl().optional()) {
                log.warn("{} lacks an optional ACL: {}", principal, line.trim());
            } else {
                required.append(line);
            }
        }
        if (required.isEmpty()) {
            return null;
        }
        return "the " + role.wireName() + " role lacks ACLs it needs on the Kafka cluster; add them (see"
                + " docs/security.md) and start it again:" + required;
    }

    private static boolean allows(Set<AclOperation> granted, AclOperation needed) {
        return granted != null && (granted.contains(needed) || granted.contains(AclOperation.ALL));
    }

    /** A prefixed ACL is checked on every Conveyor topic that has the prefix (none: not checked). */
    private static boolean prefixedGranted(Acl acl, Map<String, Set<AclOperation>> topics) {
        for (var e : topics.entrySet()) {
            if (e.getKey().startsWith(acl.name()) && !allows(e.getValue(), acl.operation())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The authorized operations on each Conveyor topic the role needs: an empty set for a topic it
     * may not describe; absent for a topic that does not exist (provisioning and readiness say so).
     */
    private static Map<String, Set<AclOperation>> topicOperations(
            Admin admin, List<Acl> required, ConveyorConfig config, Duration timeout) {
        List<String> names = new ArrayList<>();
        for (TopicSpec spec : config.topics().all()) {
            names.add(spec.name());
        }
        for (Acl acl : required) {
            if (acl.resource() == ResourceType.TOPIC
                    && acl.pattern() == PatternType.LITERAL
                    && !names.contains(acl.name())) {
                names.add(acl.name());
            }
        }
        Map<String, Set<AclOperation>> operations = new HashMap<>();
        var described = admin.describeTopics(
                        names,
                        new DescribeTopicsOptions()
                                .includeAuthorizedOperations(true)
                                .timeoutMs((int) timeout.toMillis()))
                .topicNameValues();
        described.forEach((name, future) -> {
            try {
                Set<AclOperation> ops = get(future, timeout).authorizedOperations();
                operations.put(name, ops == null ? Set.of(AclOperation.ALL) : ops);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException) {
                    operations.put(name, Set.of());
                } else {
                    notAuthenticated(e);
                }
                // a missing topic: provisioning and /health/ready report it
            }
        });
        return operations;
    }

    private static Map<String, Set<AclOperation>> groupOperations(Admin admin, List<Acl> required, Duration timeout) {
        List<String> groups = required.stream()
                .filter(a -> a.resource() == ResourceType.GROUP)
                .map(Acl::name)
                .distinct()
                .toList();
        Map<String, Set<AclOperation>> operations = new HashMap<>();
        if (groups.isEmpty()) {
            return operations;
        }
        var described = admin.describeConsumerGroups(
                        groups,
                        new DescribeConsumerGroupsOptions()
                                .includeAuthorizedOperations(true)
                                .timeoutMs((int) timeout.toMillis()))
                .describedGroups();
        described.forEach((name, future) -> {
            try {
                Set<AclOperation> ops = get(future, timeout).authorizedOperations();
                operations.put(name, ops == null ? Set.of(AclOperation.ALL) : ops);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupAuthorizationException) {
                    operations.put(name, Set.of());
                } else {
                    notAuthenticated(e);
                }
            }
        });
        return operations;
    }

    /** Failed authentication ends the check: nothing else can be judged. */
    private static void notAuthenticated(ExecutionException e) {
        if (e.getCause() instanceof AuthenticationException) {
            throw new IllegalStateException("could not check this role's ACLs", e.getCause());
        }
    }

    /** Kafka checks DESCRIBE on a transactional id before it says the id is unknown. */
    private static boolean transactionalIdDescribable(Admin admin, String prefix, Duration timeout) {
        try {
            get(
                    admin.describeTransactions(List.of(prefix + "conveyor-preflight"))
                            .all(),
                    timeout);
            return true;
        } catch (ExecutionException e) {
            return !(e.getCause() instanceof TransactionalIdAuthorizationException);
        } catch (IllegalStateException e) {
            log.debug("Could not check the transactional ids {}: {}", prefix, e.getMessage());
            return true; // no coordinator yet: the rollups' own handling names a refusal
        }
    }

    private static <T> T get(KafkaFuture<T> future, Duration timeout) throws ExecutionException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the ACLs", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(
                    "the Kafka cluster did not say within " + timeout.toMillis()
                            + " ms what this principal may do; check kafka.bootstrap.servers",
                    e);
        }
    }
}
