package io.conveyor.core;

import java.util.List;
import java.util.Locale;

/**
 * Which settings hold secrets, and how they are shown: never. The rule (docs/security.md): a key
 * is secret when its name contains one of {@link #MARKERS} ({@code password}, {@code secret},
 * {@code jaas}, {@code token}, {@code credential}, an API key, a private key, ...) or is one of
 * Kafka's inline PEM settings ({@code ssl.keystore.key}, {@code ssl.keystore.certificate.chain},
 * {@code ssl.truststore.certificates}), which Kafka itself types as passwords. Its value is
 * printed as {@value #HIDDEN}, as Kafka prints its own {@code Password} settings, in configuration
 * dumps ({@link ConveyorConfig#toString()}) and configuration errors. Stateless.
 */
public final class Secrets {
    /** What a secret value is printed as. */
    public static final String HIDDEN = "[hidden]";

    /** Parts of a key's name that make it secret (matched in lower case). */
    public static final List<String> MARKERS = List.of(
            "password",
            "passphrase",
            "secret",
            "jaas",
            "token",
            "credential",
            "apikey",
            "api.key",
            "api_key",
            "private.key",
            "ssl.keystore.key",
            "ssl.keystore.certificate.chain",
            "ssl.truststore.certificates",
            "basic.auth.user.info");

    /** Secret values shorter than this are not searched for in free text (they would hit by chance). */
    static final int MIN_REDACTED_LENGTH = 4;

    private Secrets() {}

    /** Whether the value of {@code key} is a secret (the key itself never is). */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        for (String marker : MARKERS) {
            if (k.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    /** {@code value}, or {@value #HIDDEN} when {@code key} is secret. */
    public static String shown(String key, String value) {
        return isSecret(key) ? HIDDEN : value;
    }

    /**
     * {@code text} with every occurrence of the given secret values replaced by {@value #HIDDEN},
     * for messages built by others (a Kafka exception that quotes a value).
     */
    public static String redact(String text, Iterable<String> secretValues) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String secret : secretValues) {
            if (secret != null && secret.length() >= MIN_REDACTED_LENGTH) {
                out = out.replace(secret, HIDDEN);
            }
        }
        return out;
    }
}
