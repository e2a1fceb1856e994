package io.conveyor.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS of Conveyor's HTTP servers and of the calls between Conveyor processes (rollup peers, {@code
 * api.status.url}), from the {@code http.tls.*} settings. Immutable.
 *
 * <p>A process has one identity: the certificate it serves with ({@link #certificate()}, {@link
 * #key()}) is the one it presents when a server it calls asks for a client certificate. So with
 * {@code http.tls.client.ca} set on the rollups, peers and the API reach them only with certificates
 * from that CA.
 *
 * @param certificate PEM certificate chain the server presents; empty: plain HTTP
 * @param key PEM private key (PKCS#8, unencrypted) of {@code certificate}
 * @param clientCa PEM CA certificates a client certificate must chain to; empty: none asked for
 * @param clientAuthRequired whether a client without such a certificate is refused (else only asked)
 * @param trust PEM CA certificates trusted when calling other Conveyor processes over https; empty:
 *     the JVM's default trust store
 */
public record HttpTls(
        Optional<Path> certificate,
        Optional<Path> key,
        Optional<Path> clientCa,
        boolean clientAuthRequired,
        Optional<Path> trust) {

    /** Whether the HTTP server speaks HTTPS. */
    public boolean enabled() {
        return certificate.isPresent();
    }

    /** {@code https} when {@link #enabled()}, else {@code http}: how other instances reach this one. */
    public String scheme() {
        return enabled() ? "https" : "http";
    }

    /**
     * The client side of calls to other Conveyor processes: trusts {@link #trust()} (or the JVM's
     * defaults) and presents this process's certificate when it has one.
     *
     * @throws IllegalStateException naming the setting whose file cannot be read
     */
    public SSLContext clientContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManagerFactory keys = null;
            if (enabled()) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                char[] none = new char[0];
                store.setKeyEntry(
                        "conveyor",
                        privateKey(key.orElseThrow()),
                        none,
                        certificates(ConveyorConfig.HTTP_TLS_CERT.key(), certificate.orElseThrow())
                                .toArray(Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, none);
            }
            TrustManagerFactory trusted = null;
            if (trust.isPresent()) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int i = 0;
                for (Certificate c : certificates(ConveyorConfig.HTTP_TLS_TRUST.key(), trust.get())) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
                trusted = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trusted.init(store);
            }
            context.init(
                    keys == null ? null : keys.getKeyManagers(),
                    trusted == null ? null : trusted.getTrustManagers(),
                    null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("could not set up TLS for calls to other Conveyor processes: " + e, e);
        }
    }

    private static List<Certificate> certificates(String setting, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> read =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (read.isEmpty()) {
                throw new IllegalStateException(setting + " " + file + " holds no PEM certificate");
            }
            return List.copyOf(read);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(setting + " " + file + " could not be read as PEM certificates: " + e, e);
        }
    }

    /** A PKCS#8 private key ({@code BEGIN PRIVATE KEY}), RSA or EC. */
    static PrivateKey privateKey(Path file) {
        String setting = ConveyorConfig.HTTP_TLS_KEY.key();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(setting + " " + file + " could not be read: " + e, e);
        }
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalStateException(setting + " " + file
                    + " holds no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----); convert one with"
                    + " `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem`");
        }
        byte[] der =
                Base64.getMimeDecoder().decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException e) {
                // try the next algorithm
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(setting + ": " + e, e);
            }
        }
        throw new IllegalStateException(setting + " " + file + " holds neither an RSA nor an EC private key");
    }
}
