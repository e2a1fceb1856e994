package io.conveyor.producers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.StatsSource;
import io.conveyor.core.StatusUnavailableException;
import io.conveyor.producers.internal.OpsRoutes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/stats} answers what its source holds, 503 while the source cannot, 404 without one. */
class StatsRouteTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final ConveyorConfig config =
            ConveyorConfig.builder().set(ConveyorConfig.HTTP_PORT, 0).build();

    @Test
    void servesTheSourceAndSaysWhenItIsNotReady() throws Exception {
        AtomicReference<JsonNode> figures = new AtomicReference<>();
        StatsSource source = () -> {
            JsonNode f = figures.get();
            if (f == null) {
                throw new StatusUnavailableException("the rollup figures are still being read; retry shortly");
            }
            return f;
        };
        try (ApiServer server = ApiServer.builder(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .stats(source)
                .start()) {
            HttpResponse<String> unavailable = get(server, "/v1/stats");
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(unavailable.body()).at("/error/code").asText())
                    .isEqualTo("stats_unavailable");

            figures.set(JsonNodeFactory.instance.objectNode().put("windows", 2));
            HttpResponse<String> ok = get(server, "/v1/stats");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(ok.body()).isEqualTo("{\"windows\":2}");
            assertThat(server.routes()).contains("GET /v1/stats");
        }
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(OpsRoutes.openApi());
        assertThat(doc.at("/paths/~1v1~1stats/get/operationId").asText()).isEqualTo("getStats");
        assertThat(doc.at("/components/schemas/Stats").isObject()).isTrue();
    }

    @Test
    void isNotRoutedWithoutASource() throws Exception {
        try (ApiServer server = ApiServer.builder(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .start()) {
            assertThat(get(server, "/v1/stats").statusCode()).isEqualTo(404);
        }
    }

    private HttpResponse<String> get(ApiServer server, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
