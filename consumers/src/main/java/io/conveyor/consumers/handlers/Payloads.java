package io.conveyor.consumers.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.consumers.NonRetriableException;

/** Reads the built-in handlers' payload fields, failing bad input without retries. */
final class Payloads {
    private Payloads() {}

    static long nonNegativeLong(JsonNode payload, String field, long defaultValue) throws NonRetriableException {
        JsonNode v = payload == null ? null : payload.get(field);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new NonRetriableException("payload field '" + field + "' must be a whole number >= 0, but was " + v);
        }
        return v.asLong();
    }
}
