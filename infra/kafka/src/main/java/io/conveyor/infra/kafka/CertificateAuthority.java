package io.conveyor.infra.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for tests of secured brokers and HTTPS: a self-signed CA and
 * the leaf certificates it issues, written as PEM files (and PKCS#12 key stores on request) into a
 * directory the caller owns. Needs BouncyCastle ({@code bcpkix-jdk18on}) on the class path, which
 * this module declares optional: add it with test scope where you use this class.
 *
 * <p>Keys are EC P-256 (fast to generate). Every leaf is valid for {@code localhost} and {@code
 * 127.0.0.1} (so host-name verification passes on loopback) and for both server and client
 * authentication (one identity per process, which serves and calls with it). Its subject is {@code
 * CN=<name>}, which Kafka's default principal mapping turns into {@code User:CN=<name>}.
 *
 * <p>Thread-safe: {@link #issue} may be called from any thread.
 */
public final class CertificateAuthority {
    private static final Duration VALIDITY = Duration.ofDays(2);
    private static final String SIGNATURE = "SHA256withECDSA";

    private final Path dir;
    private final KeyPair keys;
    private final X509Certificate certificate;
    private final Path certificateFile;
    private final AtomicLong serials = new AtomicLong(1);

    /** A certificate issued by this authority, with its key, as files. */
    public record Identity(
            String name, X509Certificate certificate, Path keyPem, Path certificatePem, Path keyStorePem) {
        /** The subject, as Kafka's default SSL principal mapping names it: {@code CN=<name>}. */
        public String principalName() {
            return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
        }
    }

    private CertificateAuthority(Path dir, KeyPair keys, X509Certificate certificate, Path certificateFile) {
        this.dir = dir;
        this.keys = keys;
        this.certificate = certificate;
        this.certificateFile = certificateFile;
    }

    /** A new CA named {@code CN=<name>}; its certificate goes to {@code <dir>/<name>.crt.pem}. */
    public static CertificateAuthority create(String name, Path dir) {
        Objects.requireNonNull(dir, "dir");
        try {
            Files.createDirectories(dir);
            KeyPair keys = keyPair();
            X500Principal subject = new X500Principal("CN=" + name);
            X509v3CertificateBuilder builder = builder(subject, subject, keys, BigInteger.ONE);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate certificate = sign(builder, keys.getPrivate());
            Path file = dir.resolve(name + ".crt.pem");
            Files.writeString(file, pem("CERTIFICATE", certificate.getEncoded()));
            return new CertificateAuthority(dir, keys, certificate, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not create the test CA " + name + ": " + e, e);
        }
    }

    /** The CA's certificate, PEM: the trust store of whoever must trust what it issued. */
    public Path certificatePem() {
        return certificateFile;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues {@code CN=<name>} for localhost and 127.0.0.1, writing {@code <name>.key.pem} (PKCS#8,
     * unencrypted), {@code <name>.crt.pem} (its certificate, then the CA's) and {@code <name>.pem}
     * (key and chain in one file, Kafka's {@code ssl.keystore.type=PEM} file).
     */
    public Identity issue(String name) {
        try {
            KeyPair leaf = keyPair();
            X509v3CertificateBuilder builder = builder(
                    certificate.getSubjectX500Principal(),
                    new X500Principal("CN=" + name),
                    leaf,
                    BigInteger.valueOf(serials.incrementAndGet()));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
            }));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")
            }));
            X509Certificate cert = sign(builder, keys.getPrivate());
            String key = pem("PRIVATE KEY", leaf.getPrivate().getEncoded());
            String chain = pem("CERTIFICATE", cert.getEncoded()) + pem("CERTIFICATE", certificate.getEncoded());
            Path keyFile = write(name + ".key.pem", key);
            Path chainFile = write(name + ".crt.pem", chain);
            Path both = write(name + ".pem", key + chain);
            return new Identity(name, cert, keyFile, chainFile, both);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not issue a test certificate for " + name + ": " + e, e);
        }
    }

    /**
     * A PKCS#12 key store at {@code <name>.p12} holding the identity's key and chain, protected by
     * {@code password} (store and key alike).
     */
    public Path keyStore(Identity identity, String password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            PrivateKey key = privateKey(identity);
            store.setKeyEntry(
                    identity.name(), key, password.toCharArray(), new Certificate[] {identity.certificate(), certificate
                    });
            return store(store, identity.name() + ".p12", password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not write a key store for " + identity.name() + ": " + e, e);
        }
    }

    /** A PKCS#12 trust store at {@code <fileName>} holding this CA's certificate, protected by {@code password}. */
    public Path trustStore(String fileName, String password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", certificate);
            return store(store, fileName, password);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not write a trust store: " + e, e);
        }
    }

    private Path store(KeyStore store, String fileName, String password) throws IOException, GeneralSecurityException {
        Path file = dir.resolve(fileName);
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
        return file;
    }

    private static PrivateKey privateKey(Identity identity) throws IOException, GeneralSecurityException {
        String text = Files.readString(identity.keyPem());
        String body = text.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        return java.security.KeyFactory.getInstance("EC")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(
                        Base64.getDecoder().decode(body)));
    }

    private Path write(String fileName, String text) throws IOException {
        Path file = dir.resolve(fileName);
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(
            X500Principal issuer, X500Principal subject, KeyPair keys, BigInteger serial) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(
                issuer,
                serial,
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)),
                subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
