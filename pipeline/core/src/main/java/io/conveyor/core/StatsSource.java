package io.conveyor.core;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The latest closed rollup windows of every task type with the capacity hint: the body of {@code
 * GET /v1/stats}. Implemented by the rollups; the HTTP server only serves it.
 */
@FunctionalInterface
public interface StatsSource {
    /**
     * A snapshot of the latest figures. Reads memory only, so it may be called on an event loop.
     *
     * @throws StatusUnavailableException while the figures cannot be read yet (answered 503)
     */
    JsonNode stats();
}
