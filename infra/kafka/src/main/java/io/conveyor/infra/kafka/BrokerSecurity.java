package io.conveyor.infra.kafka;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How the client listener of an {@link EmbeddedKafkaBroker} authenticates clients, and whether the
 * broker authorizes them with ACLs. Immutable.
 *
 * <p>TLS material is given as PEM files ({@code ssl.keystore.type=PEM}: one file with the private
 * key, unencrypted PKCS#8, and its certificate chain; the trust store one file of CA
 * certificates), as {@link CertificateAuthority} writes them.
 *
 * <p>The broker keeps its own traffic (controller, inter-broker, such as transaction markers) on
 * plaintext listeners of 127.0.0.1 whose principal is {@code User:ANONYMOUS}; with ACLs on, that
 * principal and the {@link #adminPrincipal() admin} are the super users. Clients are told only of
 * the secured client listener.
 */
public sealed interface BrokerSecurity permits BrokerSecurity.SaslSsl, BrokerSecurity.MutualTls {

    /** The SASL mechanism of {@link SaslSsl}. */
    String SCRAM_MECHANISM = "SCRAM-SHA-512";

    /** The Kafka authorizer used when ACLs are on. */
    String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    /** Whether the broker authorizes every request with ACLs ({@link #AUTHORIZER}). */
    boolean acls();

    /** The principal of {@link #adminClientConfig()}, a super user: {@code User:admin}, {@code User:CN=admin}. */
    String adminPrincipal();

    /** The client settings of the admin (a super user), besides {@code bootstrap.servers}. */
    Map<String, Object> adminClientConfig();

    /** The broker properties that set up the secured client listener named {@code listener}. */
    Map<String, String> listenerProperties(String listener);

    /** Security protocol of the client listener: {@code SASL_SSL} or {@code SSL}. */
    String protocol();

    /**
     * A client listener that requires TLS and SASL/SCRAM-SHA-512: the broker presents {@code
     * keyStore}; clients trust {@code trustStore} and log in as one of {@code users} (name to
     * password), whose SCRAM credentials are written when the storage is formatted, before the
     * broker starts.
     *
     * @param admin the user {@link #adminClientConfig()} logs in as, one of {@code users}
     */
    record SaslSsl(Path keyStore, Path trustStore, Map<String, String> users, String admin, boolean acls)
            implements BrokerSecurity {
        public SaslSsl {
            requireFile("keyStore", keyStore);
            requireFile("trustStore", trustStore);
            Objects.requireNonNull(users, "users must not be null");
            users.forEach((name, password) -> {
                if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
                    throw new IllegalArgumentException(
                            "users: a SCRAM user name must be letters, digits, '.', '_' or '-', but was '" + name
                                    + "'");
                }
                if (password == null || password.isEmpty() || password.contains("\"") || password.contains(",")) {
                    throw new IllegalArgumentException("users[" + name
                            + "]: the password must not be empty nor hold '\"' or ',' (the format tool's syntax)");
                }
            });
            users = Collections.unmodifiableMap(new LinkedHashMap<>(users));
            if (!users.containsKey(admin)) {
                throw new IllegalArgumentException(
                        "admin must be one of the users " + users.keySet() + ", but was '" + admin + "'");
            }
        }

        @Override
        public String adminPrincipal() {
            return "User:" + admin;
        }

        @Override
        public String protocol() {
            return "SASL_SSL";
        }

        @Override
        public Map<String, Object> adminClientConfig() {
            return Map.of(
                    "security.protocol", protocol(),
                    "sasl.mechanism", SCRAM_MECHANISM,
                    "sasl.jaas.config", jaas(admin, users.get(admin)),
                    "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", trustStore.toString());
        }

        @Override
        public Map<String, String> listenerProperties(String listener) {
            String prefix = "listener.name." + listener.toLowerCase(java.util.Locale.ROOT) + ".";
            Map<String, String> p = new LinkedHashMap<>();
            p.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            p.put(prefix + "sasl.enabled.mechanisms", SCRAM_MECHANISM);
            // the server side of SCRAM logs in as nobody; the broker is no client of this listener
            p.put(
                    prefix + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put(prefix + "ssl.keystore.type", "PEM");
            p.put(prefix + "ssl.keystore.location", keyStore.toString());
            return p;
        }

        /** The SCRAM arguments of the storage format tool, one per user. */
        public java.util.List<String> scramArguments() {
            return users.entrySet().stream()
                    .map(u -> SCRAM_MECHANISM + "=[name=" + u.getKey() + ",password=\"" + u.getValue() + "\"]")
                    .toList();
        }

        /** The JAAS line of a SCRAM client that logs in as {@code user}. */
        public static String jaas(String user, String password) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                    + "\" password=\"" + password + "\";";
        }

        @Override
        public String toString() {
            return "SaslSsl[users=" + users.keySet() + ", admin=" + admin + ", acls=" + acls + "]";
        }
    }

    /**
     * A client listener that requires TLS with a client certificate ({@code ssl.client.auth=required}):
     * the broker presents {@code keyStore} and accepts certificates issued by a CA in {@code
     * trustStore}; a client's principal is its certificate's subject ({@code User:CN=worker}).
     *
     * @param adminKeyStore the key store (PEM) of the admin client, a super user
     */
    record MutualTls(Path keyStore, Path trustStore, Path adminKeyStore, String adminSubject, boolean acls)
            implements BrokerSecurity {
        public MutualTls {
            requireFile("keyStore", keyStore);
            requireFile("trustStore", trustStore);
            requireFile("adminKeyStore", adminKeyStore);
            if (adminSubject == null || adminSubject.isBlank()) {
                throw new IllegalArgumentException(
                        "adminSubject must be the admin certificate's subject, like CN=admin, but was '" + adminSubject
                                + "'");
            }
        }

        @Override
        public String adminPrincipal() {
            return "User:" + adminSubject;
        }

        @Override
        public String protocol() {
            return "SSL";
        }

        @Override
        public Map<String, Object> adminClientConfig() {
            return Map.of(
                    "security.protocol", protocol(),
                    "ssl.keystore.type", "PEM",
                    "ssl.keystore.location", adminKeyStore.toString(),
                    "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", trustStore.toString());
        }

        @Override
        public Map<String, String> listenerProperties(String listener) {
            String prefix = "listener.name." + listener.toLowerCase(java.util.Locale.ROOT) + ".";
            Map<String, String> p = new LinkedHashMap<>();
            p.put(prefix + "ssl.client.auth", "required");
            p.put(prefix + "ssl.keystore.type", "PEM");
            p.put(prefix + "ssl.keystore.location", keyStore.toString());
            p.put(prefix + "ssl.truststore.type", "PEM");
            p.put(prefix + "ssl.truststore.location", trustStore.toString());
            return p;
        }
    }

    private static void requireFile(String name, Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw new IllegalArgumentException(name + " must be a readable PEM file, but was " + file);
        }
    }
}
