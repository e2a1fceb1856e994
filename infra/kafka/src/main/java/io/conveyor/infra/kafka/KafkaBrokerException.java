package io.conveyor.infra.kafka;

import java.io.Serial;

/**
 * A broker could not be started, with a message that names the problem and the fix (a port in
 * use, a bad broker override, no Docker engine).
 */
public final class KafkaBrokerException extends RuntimeException {

    @Serial
    private static final long serialVersionUID = 1L;

    public KafkaBrokerException(String message) {
        super(message);
    }

    public KafkaBrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
