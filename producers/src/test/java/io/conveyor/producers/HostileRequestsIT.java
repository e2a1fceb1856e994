package io.conveyor.producers;

import static io.conveyor.producers.ApiTestKit.provisioned;
import static io.conveyor.producers.ApiTestKit.registry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.HostileRequests.Expect;
import io.conveyor.producers.HostileRequests.Hostile;
import io.conveyor.producers.HostileRequests.Transport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Point 13 of issue 19: {@value #DEFAULT_REQUESTS} generated hostile requests ({@link
 * HostileRequests}: mutations of valid tasks, wrong types, deep nesting, huge numbers, invalid
 * UTF-8, duplicate and unknown fields, batches in JSON and NDJSON, hostile task ids, wrong content
 * types and methods, raw HTTP with oversized or broken request lines, headers and framing), 32 at a
 * time, against one server on a real broker. Every answer is below 500; every 4xx is the API's JSON
 * error with a code its status allows and a message that says what was wrong (naming the field,
 * where the generator knows which one); the server answers its health check all along; and the
 * task and control topics hold exactly what was answered 202 (or accepted in a batch): bad input
 * loses nothing and creates nothing.
 *
 * <p>Reproduce a failure with {@code -Dconveyor.fuzz.seed=S}; each request depends only on the seed
 * and its index, which every failure prints. {@code -Dconveyor.fuzz.requests=N} sends more or fewer.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HostileRequestsIT {
    private static final int DEFAULT_REQUESTS = 10_000;
    private static final int REQUESTS = Integer.getInteger("conveyor.fuzz.requests", DEFAULT_REQUESTS);
    private static final long SEED = Long.getLong("conveyor.fuzz.seed", 20_261_206L);
    private static final int IN_FLIGHT = 32;

    /** The error codes each 4xx status may carry. */
    private static final Map<Integer, Set<String>> CODES = Map.of(
            400, Set.of("invalid_task", "bad_request"),
            404, Set.of("not_found"),
            405, Set.of("method_not_allowed"),
            408, Set.of("request_timeout"),
            413, Set.of("too_large"),
            414, Set.of("uri_too_long"),
            415, Set.of("unsupported_media_type"),
            431, Set.of("headers_too_large"));

    private static final Set<String> ERROR_FIELDS = Set.of("code", "message", "field");

    private static final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    private static final java.util.concurrent.ExecutorService rawSockets = Executors.newVirtualThreadPerTaskExecutor();
    private static KafkaBroker broker;

    /** One answer: status, headers (lower-case names), body; status -1 when none came. */
    private record Answer(int status, Map<String, String> headers, String body) {}

    private final Queue failures = new Queue();
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> cancelled = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> codes = new ConcurrentHashMap<>();

    @BeforeAll
    static void broker(KafkaBroker kafka) {
        broker = kafka;
    }

    @AfterAll
    static void close() {
        client.close();
        rawSockets.close();
    }

    @Test
    void hostileRequestsGetNo5xxAClearErrorAndWriteNothingInvalid() throws Exception {
        ConveyorConfig config = provisioned(broker, HostileRequests.SETTINGS);
        PrometheusMeterRegistry registry = registry();
        HostileRequests requests = new HostileRequests(SEED);
        System.out.printf("Hostile requests: %d, seed %d (-Dconveyor.fuzz.seed to repeat)%n", REQUESTS, SEED);
        long start = System.nanoTime();
        try (ApiServer server = ApiServer.builder(config, registry)
                .acceptTasks()
                .lookup(id -> CompletableFuture.completedFuture(Optional.empty()))
                .start()) {
            Semaphore slots = new Semaphore(IN_FLIGHT);
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Hostile h = requests.get(i);
                slots.acquire();
                CompletableFuture<Void> checked = send(server, h).handle((answer, error) -> {
                    try {
                        if (error != null) {
                            failures.add(h, "no answer: " + error);
                        } else {
                            check(h, answer);
                        }
                    } catch (RuntimeException | AssertionError e) {
                        failures.add(h, "check failed: " + e);
                    } finally {
                        slots.release();
                    }
                    return null;
                });
                done.add(checked);
                if (i % 1_000 == 999) {
                    assertThat(health(server))
                            .as("health after %d hostile requests", i + 1)
                            .isEqualTo(200);
                }
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(health(server)).isEqualTo(200);
            System.out.printf(
                    "Hostile requests answered in %d ms; statuses %s; 4xx codes %s; accepted tasks %d, cancellations %d;"
                            + " failures %d%n",
                    millis,
                    new TreeMap<>(statuses),
                    new TreeMap<>(codes),
                    accepted.size(),
                    cancelled.size(),
                    failures.size());
            assertThat(failures.all())
                    .as("hostile requests answered wrongly (seed %d; first 40 shown)", SEED)
                    .isEmpty();
            assertThat(statuses.keySet()).noneMatch(s -> s.startsWith("5"));

            // nothing invalid was written, and nothing accepted was lost
            Map<String, Integer> written = taskIds(config);
            assertThat(written.values()).as("records per task id").allMatch(n -> n == 1);
            Set<String> lost = new TreeSet<>(accepted);
            lost.removeAll(written.keySet());
            Set<String> created = new TreeSet<>(written.keySet());
            created.removeAll(accepted);
            assertThat(lost).as("tasks answered 202 that are on no task topic").isEmpty();
            assertThat(created)
                    .as("tasks on a task topic that were never answered 202")
                    .isEmpty();
            List<String> controls = new ArrayList<>(keys(config.topics().control()));
            List<String> expectedControls = new ArrayList<>(cancelled);
            Collections.sort(controls);
            Collections.sort(expectedControls);
            assertThat(controls).as("cancellations on the control topic").isEqualTo(expectedControls);
            System.out.printf(
                    "Kafka: %d task records, %d cancellations, all answered 202; %s%n",
                    written.size(),
                    controls.size(),
                    registry.scrape()
                            .lines()
                            .filter(l -> l.startsWith("conveyor_api_connections_closed_total")
                                    || l.startsWith("conveyor_tasks_rejected_total"))
                            .toList());
        }
    }

    // ---- sending

    private CompletableFuture<Answer> send(ApiServer server, Hostile h) {
        return h.transport() == Transport.RAW ? raw(server, h) : viaClient(server, h);
    }

    private CompletableFuture<Answer> viaClient(ApiServer server, Hostile h) {
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + h.path()))
                    .timeout(Duration.ofSeconds(60))
                    .method(
                            h.method(),
                            h.body() == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(h.body()));
            if (h.contentType() != null) {
                request.header("Content-Type", h.contentType());
            }
            for (int i = 0; i + 1 < h.headers().size(); i += 2) {
                request.header(h.headers().get(i), h.headers().get(i + 1));
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the client would not send it", e));
        }
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> {
                    Map<String, String> headers = new HashMap<>();
                    r.headers()
                            .map()
                            .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.getFirst()));
                    return new Answer(r.statusCode(), headers, r.body());
                });
    }

    private static CompletableFuture<Answer> raw(ApiServer server, Hostile h) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (RawSocket socket = new RawSocket(server.port())) {
                        socket.write(h.raw());
                        await().atMost(Duration.ofSeconds(30))
                                .pollInterval(Duration.ofMillis(20))
                                .until(() -> socket.isClosed()
                                        || !RawSocket.Response.parseAll(socket.received())
                                                .isEmpty());
                        List<RawSocket.Response> answers = RawSocket.Response.parseAll(socket.received());
                        if (answers.isEmpty()) {
                            return new Answer(-1, Map.of(), socket.received());
                        }
                        RawSocket.Response first = answers.getFirst();
                        return new Answer(first.status(), first.headers(), first.body());
                    }
                },
                rawSockets);
    }

    private static int health(ApiServer server) throws IOException, InterruptedException {
        return client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health/live"))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    // ---- checking one answer

    private void check(Hostile h, Answer answer) {
        statuses.computeIfAbsent(String.valueOf(answer.status()), k -> new AtomicInteger())
                .incrementAndGet();
        Expect expect = h.expect();
        if (answer.status() == -1) {
            if (expect.status() != -1) {
                failures.add(h, "the connection closed without an answer; received: " + answer.body());
            }
            return;
        }
        if (answer.status() >= 500) {
            failures.add(h, "server error " + answer.status() + " " + answer.body());
            return;
        }
        boolean statusOk = switch (expect.status()) {
            case 0, -1 -> answer.status() < 300 || answer.status() >= 400;
            case -4 -> answer.status() >= 400;
            default -> answer.status() == expect.status();
        };
        if (!statusOk) {
            failures.add(h, "expected " + expect + ", got " + answer.status() + " " + answer.body());
            return;
        }
        if (answer.status() >= 400) {
            checkError(h, answer, expect);
        } else if (h.items() != null) {
            checkBatch(h, answer);
        } else if (answer.status() == 202) {
            JsonNode body = json(answer);
            if ("POST".equals(h.method())) {
                accepted.add(body.path("id").asText());
            } else if ("DELETE".equals(h.method())) {
                cancelled.add(body.path("id").asText());
            }
        }
    }

    private void checkError(Hostile h, Answer answer, Expect expect) {
        if ("HEAD".equals(h.method())) {
            return; // a HEAD answer has no body
        }
        JsonNode root = json(answer);
        List<String> names = new ArrayList<>();
        root.fieldNames().forEachRemaining(names::add);
        JsonNode error = root.path("error");
        List<String> errorNames = new ArrayList<>();
        error.fieldNames().forEachRemaining(errorNames::add);
        String code = error.path("code").asText();
        String message = error.path("message").asText();
        codes.computeIfAbsent(answer.status() + " " + code, k -> new AtomicInteger())
                .incrementAndGet();
        List<String> wrong = new ArrayList<>();
        if (!names.equals(List.of("error")) || !ERROR_FIELDS.containsAll(errorNames)) {
            wrong.add("not the error shape");
        }
        if (!CODES.getOrDefault(answer.status(), Set.of()).contains(code)) {
            wrong.add("code " + code + " for status " + answer.status());
        }
        if (expect.code() != null && !expect.code().equals(code)) {
            wrong.add("code " + code + " instead of " + expect.code());
        }
        if (message.isBlank() || message.length() < 12) {
            wrong.add("a message that says nothing");
        }
        if (error.has("field") && !message.contains(error.path("field").asText())) {
            wrong.add("a message that does not name its field");
        }
        if (expect.field() != null) {
            String field = error.has("field") ? error.path("field").asText() : "";
            if (!expect.field().equals(field)) {
                wrong.add("field '" + field + "' instead of '" + expect.field() + "'");
            }
        }
        if (expect.says() != null && !message.contains(expect.says())) {
            wrong.add("a message without '" + expect.says() + "'");
        }
        if (!wrong.isEmpty()) {
            failures.add(h, String.join(", ", wrong) + ": " + answer.status() + " " + answer.body());
        }
    }

    private void checkBatch(Hostile h, Answer answer) {
        JsonNode body = json(answer);
        JsonNode items = body.path("items");
        List<Expect> expected = h.items();
        boolean allValid = expected.stream().allMatch(e -> e.status() == 202);
        List<String> wrong = new ArrayList<>();
        if (answer.status() != (allValid ? 200 : 207)) {
            wrong.add("status " + answer.status() + " for " + (allValid ? "all valid" : "some invalid") + " items");
        }
        if (items.size() != expected.size()) {
            wrong.add(items.size() + " items answered for " + expected.size());
        }
        for (int i = 0; i < Math.min(items.size(), expected.size()); i++) {
            JsonNode item = items.get(i);
            Expect e = expected.get(i);
            if (e.status() == 202) {
                if (!item.has("id") || !"QUEUED".equals(item.path("status").asText())) {
                    wrong.add("item " + i + " not accepted: " + item);
                } else {
                    accepted.add(item.path("id").asText());
                }
                continue;
            }
            JsonNode error = item.path("error");
            String field = error.has("field") ? error.path("field").asText() : "";
            String message = error.path("message").asText();
            if (!e.code().equals(error.path("code").asText())
                    || !e.field().equals(field)
                    || message.isBlank()
                    || (e.says() != null && !message.contains(e.says()))
                    || (error.has("field") && !message.contains(field))) {
                wrong.add("item " + i + " " + item + " instead of " + e);
            }
        }
        if (!wrong.isEmpty()) {
            failures.add(h, String.join(", ", wrong));
        }
    }

    private static JsonNode json(Answer answer) {
        String type = answer.headers().getOrDefault("content-type", "");
        if (!type.startsWith("application/json")) {
            throw new AssertionError("content type '" + type + "' for " + answer.status() + " " + answer.body());
        }
        try {
            return Json.mapper().readTree(answer.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + answer.status() + " " + answer.body(), e);
        }
    }

    // ---- what Kafka holds

    /** Records per task id on the three task topics; each must decode as a task. */
    private static Map<String, Integer> taskIds(ConveyorConfig config) throws MalformedTaskException {
        TaskCodec codec = new TaskCodec();
        Map<String, Integer> ids = new HashMap<>();
        for (Priority p : Priority.values()) {
            for (ConsumerRecord<String, byte[]> r : all(config.topics().tasks(p))) {
                Task task = codec.decode(
                        r.value(),
                        new RecordOrigin(r.topic(), r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()), p));
                ids.merge(task.id(), 1, Integer::sum);
            }
        }
        return ids;
    }

    private static List<String> keys(String topic) {
        return all(topic).stream().map(ConsumerRecord::key).toList();
    }

    /** Every record of a one-partition topic, up to its end offset now. */
    private static List<ConsumerRecord<String, byte[]>> all(String topic) {
        Map<String, Object> props = broker.clientConfig();
        props.put("isolation.level", "read_committed");
        TopicPartition partition = new TopicPartition(topic, 0);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(30))
                    .get(partition);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return consumer.position(partition) >= end;
            });
        }
        return records;
    }

    /** The failures found, each with its request; thread-safe. */
    private static final class Queue {
        private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final Set<String> kinds = ConcurrentHashMap.newKeySet();

        void add(Hostile h, String what) {
            failures.add(h.describe() + "\n    -> " + (what.length() > 600 ? what.substring(0, 600) + "..." : what));
            kinds.add(h.kind());
        }

        int size() {
            return failures.size();
        }

        List<String> all() {
            List<String> shown = new ArrayList<>();
            for (Iterator<String> it = failures.iterator(); it.hasNext() && shown.size() < 40; ) {
                shown.add(it.next());
            }
            if (failures.size() > 40) {
                shown.add("... " + (failures.size() - 40) + " more; kinds: " + new HashSet<>(kinds));
            }
            return shown;
        }
    }
}
