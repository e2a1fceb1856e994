package io.conveyor.core;

import io.conveyor.core.internal.Instants;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Names of the Kafka record headers Conveyor writes (part of the wire format: dead-letter tooling
 * and other clients read them). Values are UTF-8 text.
 */
public final class RecordHeaders {
    private RecordHeaders() {}

    /** On retry-topic records: epoch milliseconds before which the record must not run. */
    public static final String NOT_BEFORE = "conveyor-not-before";
    /** On dead letters: the exception class (or Conveyor reason) of the last failure. */
    public static final String ERROR_CLASS = "conveyor-error-class";
    /** On dead letters: the message of the last failure. */
    public static final String ERROR_MESSAGE = "conveyor-error-message";
    /** On dead letters: the attempts made. */
    public static final String ATTEMPTS = "conveyor-attempts";
    /** On dead letters: why the record was dead-lettered (exhausted, non_retriable, malformed). */
    public static final String REASON = "conveyor-dlq-reason";
    /** On dead letters and retries: where the record was first read. */
    public static final String ORIGINAL_TOPIC = "conveyor-original-topic";

    public static final String ORIGINAL_PARTITION = "conveyor-original-partition";
    public static final String ORIGINAL_OFFSET = "conveyor-original-offset";

    public static void put(Headers headers, String name, Object value) {
        headers.remove(name);
        headers.add(name, String.valueOf(value).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * When a retry-topic record may run ({@link #NOT_BEFORE}), or null when it may run now: the
     * header is absent, not epoch milliseconds, or past the latest instant the wire format carries
     * (9999-12-31), which no worker writes. Garbage there runs the record rather than holding its
     * partition for ever.
     */
    public static Instant notBefore(Headers headers) {
        String text = get(headers, NOT_BEFORE);
        if (text == null) {
            return null;
        }
        try {
            Instant at = Instant.ofEpochMilli(Long.parseLong(text.trim()));
            return at.isAfter(Instants.MAX) ? null : at;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The text of the last header with this name, or null. */
    public static String get(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
