package io.conveyor.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.ConfigLoader;
import io.conveyor.core.Json;
import io.conveyor.infra.kafka.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What the secured runs share: a properties file for a role, an HTTPS client of the API, a task
 * driven end to end, and the search of every log line and answer for the secrets.
 */
final class SecuredRuns {
    private SecuredRuns() {}

    /** Writes {@code settings} as a properties file, as an operator keeps a role's secrets. */
    static Path propertiesFile(Path file, Map<String, String> settings) {
        Properties props = new Properties();
        props.putAll(settings);
        try (var out = Files.newBufferedWriter(file)) {
            props.store(out, "a secured Conveyor role");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The http.tls.* settings of a process with {@code identity}, trusting {@code ca}. */
    static Map<String, String> httpTls(CertificateAuthority ca, CertificateAuthority.Identity identity) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("http.tls.cert", identity.certificatePem().toString());
        s.put("http.tls.key", identity.keyPem().toString());
        s.put("http.tls.trust", ca.certificatePem().toString());
        return s;
    }

    /** An HTTPS client that trusts {@code ca} and, when given, presents {@code identity}. */
    static HttpClient client(CertificateAuthority ca, CertificateAuthority.Identity identity) {
        Map<String, String> s = new HashMap<>();
        s.put("http.tls.trust", ca.certificatePem().toString());
        if (identity != null) {
            s.put("http.tls.cert", identity.certificatePem().toString());
            s.put("http.tls.key", identity.keyPem().toString());
        }
        return HttpClient.newBuilder()
                .sslContext(ConfigLoader.load(null, Map.of(), s).httpTls().clientContext())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Submits an echo task over the API and waits until GET /v1/tasks/{id} says SUCCEEDED. */
    static JsonNode runTask(HttpClient http, String api, Duration timeout) throws Exception {
        HttpResponse<String> accepted = http.send(
                HttpRequest.newBuilder(URI.create(api + "/v1/tasks"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"echo\",\"payload\":{\"over\":\"tls\"}}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = Json.mapper().readTree(accepted.body()).get("id").asText();
        JsonNode[] view = new JsonNode[1];
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            HttpResponse<String> got = http.send(
                    HttpRequest.newBuilder(URI.create(api + "/v1/tasks/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            view[0] = Json.mapper().readTree(got.body());
            assertThat(view[0].get("status").asText()).isEqualTo("SUCCEEDED");
        });
        return view[0];
    }

    /** GET {@code url}, its status and body. */
    static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Every line of every text (logs, answers, error output) is free of every secret; returns how
     * many lines were searched.
     */
    static long assertNoSecretIn(Map<String, String> texts, List<String> secrets) {
        long lines = 0;
        for (var text : texts.entrySet()) {
            List<String> all = text.getValue().lines().toList();
            lines += all.size();
            for (String secret : secrets) {
                assertThat(all)
                        .as("lines of %s holding a secret", text.getKey())
                        .noneMatch(line -> line.contains(secret));
            }
        }
        return lines;
    }

    /** The first line of the base64 body of a PEM private key: if any of it is printed, the key leaked. */
    static String keyMaterial(Path keyPem) throws IOException {
        return Files.readAllLines(keyPem).get(1);
    }
}
