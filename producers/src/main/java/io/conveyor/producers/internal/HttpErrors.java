package io.conveyor.producers.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;

/** Writes the error shape of the API: {@code {"error":{"code","message","field"?}}}. */
public final class HttpErrors {
    private HttpErrors() {}

    public static void send(HttpServerResponse response, int status, String code, String message, String field) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader("content-type", "application/json")
                .end(json(code, message, field));
    }

    /** The error body: {@code {"error":{"code","message","field"?}}}. */
    static String json(String code, String message, String field) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        if (field != null) {
            error.put("field", field);
        }
        return body.toString();
    }

    /** A 503 that tells the client when to come back. */
    public static void unavailable(HttpServerResponse response, String code, String message, int retryAfterSeconds) {
        if (!response.ended() && !response.closed()) {
            response.putHeader("Retry-After", String.valueOf(retryAfterSeconds));
        }
        send(response, 503, code, message, null);
    }

    /** The answer to any request while the server stops: 503, and the connection closes. */
    public static void shuttingDown(HttpServerResponse response) {
        if (!response.ended() && !response.closed()) {
            response.putHeader("Connection", "close");
        }
        unavailable(response, "shutting_down", "the server is shutting down; retry in a moment or elsewhere", 1);
    }
}
