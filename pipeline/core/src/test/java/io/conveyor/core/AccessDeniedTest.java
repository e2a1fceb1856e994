package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

/** Kafka's refusals become one message naming the resource, the operation and the command that grants it. */
class AccessDeniedTest {
    @Test
    void aTopicRefusalNamesTheTopicTheOperationAndTheCommand() {
        var refusal = AccessDenied.find(
                        new ExecutionException(new TopicAuthorizationException(Set.of("conveyor.results"))),
                        "WRITE",
                        AccessDenied.Names.NONE)
                .orElseThrow();
        assertThat(refusal.message())
                .startsWith("Kafka denied WRITE on topic conveyor.results")
                .endsWith("kafka-acls.sh --bootstrap-server <brokers> --add --allow-principal User:<principal>"
                        + " --operation Write --topic conveyor.results");
    }

    @Test
    void groupsTransactionalIdsAndTheClusterAreNamedToo() {
        assertThat(AccessDenied.find(
                                new GroupAuthorizationException("denied", "workers"), "READ", AccessDenied.Names.NONE)
                        .orElseThrow()
                        .message())
                .startsWith("Kafka denied READ on group workers")
                .endsWith("--operation Read --group workers");
        assertThat(AccessDenied.find(
                                new org.apache.kafka.common.KafkaException(
                                        new TransactionalIdAuthorizationException("denied")),
                                "READ,WRITE",
                                AccessDenied.Names.transactionalId("rollups-"))
                        .orElseThrow()
                        .message())
                .startsWith("Kafka denied WRITE on transactional id rollups-")
                .endsWith("--transactional-id rollups- --resource-pattern-type prefixed");
        assertThat(AccessDenied.find(new ClusterAuthorizationException("denied"), "WRITE", AccessDenied.Names.NONE)
                        .orElseThrow()
                        .message())
                .startsWith("Kafka denied IDEMPOTENT_WRITE on the cluster")
                .endsWith("--operation IdempotentWrite --cluster");
        assertThat(AccessDenied.find(
                                new TopicAuthorizationException(Set.of("t")), "READ,WRITE", AccessDenied.Names.NONE)
                        .orElseThrow()
                        .message())
                .startsWith("Kafka denied READ and WRITE on topic t")
                .endsWith("--operation Read --operation Write --topic t");
    }

    @Test
    void failedAuthenticationIsARefusalAndOtherErrorsAreNot() {
        assertThat(AccessDenied.isRefusal(new SaslAuthenticationException("invalid credentials")))
                .isTrue();
        assertThat(AccessDenied.isRefusal(new TimeoutException("slow broker"))).isFalse();
        assertThat(AccessDenied.isRefusal(new IllegalStateException("bug"))).isFalse();
    }

    @Test
    void onlyTheFirstFatalErrorIsKeptAndReadinessTurnsRed() {
        FatalErrors fatal = new FatalErrors();
        assertThat(fatal.health().check().toCompletableFuture().join().ready()).isTrue();
        fatal.report("worker poll loop", "Kafka denied READ on topic t", null);
        fatal.report("worker control listener", "second", null);
        assertThat(fatal.failure().toCompletableFuture().join())
                .isEqualTo(new FatalErrors.Failure("worker poll loop", "Kafka denied READ on topic t"));
        var health = fatal.health().check().toCompletableFuture().join();
        assertThat(health.ready()).isFalse();
        assertThat(health.detail()).isEqualTo("worker poll loop stopped: Kafka denied READ on topic t");
    }
}
