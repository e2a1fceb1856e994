package io.conveyor.app;

import static io.conveyor.app.Garbage.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.conveyor.app.internal.Metrics;
import io.conveyor.app.internal.Node;
import io.conveyor.app.internal.Roles;
import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.FatalErrors;
import io.conveyor.core.Json;
import io.conveyor.core.MalformedTaskException;
import io.conveyor.core.Priority;
import io.conveyor.core.RecordHeaders;
import io.conveyor.core.RecordOrigin;
import io.conveyor.core.TaskCodec;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.conveyor.producers.ApiServer;
import io.conveyor.rollups.RollupWindow;
import io.conveyor.rollups.Rollups;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point 14 of issue 19, on a real broker with the whole pipeline in one process (as {@code conveyor
 * run} has it): {@value #GARBAGE} garbage records ({@link Garbage}: with and without keys and
 * headers, one at Kafka's size limit on each task topic and the retry topic) on every topic Conveyor reads (the three
 * task topics, retry, control, results, rollups), mixed with records of a newer writer (fields this
 * version does not know); then valid tasks, over HTTP and straight to Kafka, and a cancellation.
 *
 * <p>The worker dead-letters every record it cannot decode (counted on the dead-letter topic by its
 * reason header) and goes on; every valid task and every newer writer's task ends {@code
 * SUCCEEDED}; the rollups answer lookups and count in {@code conveyor_rollup_skipped_records_total}
 * exactly the records of each topic they cannot use; the control listener counts what it skips and
 * still cancels; and no thread died: the poll thread, the control listener, the rollup reader and
 * the stream threads are the ones that started.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HostileRecordsIT {
    private static final int GARBAGE = 1_000;
    private static final int NEWER = 50;
    private static final Duration WAIT = Duration.ofSeconds(90);
    /**
     * A value that, without a key or headers, just fits the broker's message.max.bytes (1,048,588
     * bytes a batch), and with a dead letter's headers no longer fits the worker's producer
     * (max.request.size 1,048,576).
     */
    private static final int AT_THE_LIMIT = 1_048_450;

    private final HttpClient http = HttpClient.newHttpClient();
    private final TaskCodec codec = new TaskCodec();

    @Test
    void garbageOnEveryTopicIsDeadLetteredOrSkippedAndCountedAndEverythingElseRuns(
            KafkaBroker broker, @TempDir Path stateDir) throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("hostile"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 3)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("workers"))
                .set(ConveyorConfig.ROLLUP_APPLICATION_ID, broker.uniqueName("rollups"))
                .set(ConveyorConfig.ROLLUP_STATE_DIR, stateDir)
                .set(ConveyorConfig.HTTP_PORT, 0)
                .build();
        try (Node node = new Node()) {
            PrometheusMeterRegistry registry = Metrics.registry(node);
            var admin = Roles.admin(node, config, registry);
            Roles.provision(admin, config, true);
            FatalErrors fatal = new FatalErrors();
            Rollups rollups = Roles.rollups(node, config, registry, fatal);
            Roles.worker(node, config, registry, fatal);
            ApiServer api = Roles.startRollups(
                    rollups,
                    Roles.http(
                            node,
                            Roles.lookups(ApiServer.builder(config, registry).acceptTasks(), rollups),
                            List.of(Roles.kafkaReadiness(admin, config), Roles.rollupsReadiness(rollups)),
                            fatal));
            String base = "http://localhost:" + api.port();
            await().atMost(WAIT).until(() -> get(base, "/health/ready").statusCode() == 200);
            String appId = config.get(ConveyorConfig.ROLLUP_APPLICATION_ID);
            // Kafka Streams names its threads <application.id>-<process uuid>-StreamThread-N
            Predicate<String> watched = name -> name.startsWith("conveyor-poll-")
                    || name.startsWith("conveyor-control-")
                    || name.equals("conveyor-rollup-reader")
                    || (name.startsWith(appId) && name.contains("-StreamThread-"));
            await().atMost(WAIT).until(() -> threads(watched).stream().anyMatch(n -> n.contains("-StreamThread-")));
            Set<String> before = threads(watched);
            assertThat(before)
                    .anyMatch(n -> n.startsWith("conveyor-poll-"))
                    .anyMatch(n -> n.startsWith("conveyor-control-"))
                    .contains("conveyor-rollup-reader");

            long start = System.nanoTime();
            Written written = writeGarbage(broker, config);
            System.out.printf(
                    "Hostile records: %d garbage on each of 7 topics and %d of a newer writer written in %d ms%n",
                    GARBAGE, written.newerTasks.size(), (System.nanoTime() - start) / 1_000_000);

            // then valid tasks: over HTTP, and straight to Kafka
            List<String> valid = new ArrayList<>();
            for (Priority p : Priority.values()) {
                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> r = post(
                            base,
                            "{\"type\":\"echo\",\"priority\":\"" + p.wireName() + "\",\"payload\":{\"n\":" + i + "}}");
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                    valid.add(Json.mapper().readTree(r.body()).path("id").asText());
                }
            }
            valid.addAll(writePlainTasks(broker, config, 30));
            String sleeper = Json.mapper()
                    .readTree(post(base, "{\"type\":\"sleep\",\"payload\":{\"ms\":60000}}")
                            .body())
                    .path("id")
                    .asText();

            List<String> expected = new ArrayList<>(valid);
            expected.addAll(written.newerTasks);
            await().atMost(WAIT)
                    .untilAsserted(() -> assertThat(statuses(base, expected))
                            .as("statuses of the valid and the newer writer's tasks")
                            .containsOnlyKeys("SUCCEEDED"));
            await().atMost(WAIT).until(() -> "RUNNING".equals(status(base, sleeper)));
            assertThat(delete(base, "/v1/tasks/" + sleeper).statusCode()).isEqualTo(202);
            await().atMost(WAIT).until(() -> "CANCELLED".equals(status(base, sleeper)));
            long millis = (System.nanoTime() - start) / 1_000_000;

            // the worker dead-lettered each undecodable task record, and went on
            List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
            await().atMost(WAIT).untilAsserted(() -> {
                dead.clear();
                dead.addAll(readAll(broker, config.topics().deadLetters()));
                assertThat(count(dead, "malformed")).isEqualTo(written.undecodable);
            });
            Map<String, Long> reasons = dead.stream()
                    .collect(Collectors.groupingBy(
                            r -> String.valueOf(RecordHeaders.get(r.headers(), RecordHeaders.REASON)),
                            TreeMap::new,
                            Collectors.counting()));
            assertThat(reasons).containsOnlyKeys("malformed");
            List<ConsumerRecord<byte[], byte[]>> leftOut = dead.stream()
                    .filter(r -> r.value() == null
                            && RecordHeaders.get(r.headers(), RecordHeaders.ERROR_MESSAGE)
                                    .contains("bytes are left out"))
                    .toList();
            assertThat(leftOut)
                    .as("dead letters of the records at the size limit")
                    .hasSize(4);
            // each has a FAILED result under its topic-partition-offset id, which the rollups answer
            for (ConsumerRecord<byte[], byte[]> d : dead.subList(0, 20)) {
                String id = RecordHeaders.get(d.headers(), RecordHeaders.ORIGINAL_TOPIC) + "-"
                        + RecordHeaders.get(d.headers(), RecordHeaders.ORIGINAL_PARTITION) + "-"
                        + RecordHeaders.get(d.headers(), RecordHeaders.ORIGINAL_OFFSET);
                await().atMost(WAIT).until(() -> "FAILED".equals(status(base, id)));
            }

            // the rollups and the control listener skipped and counted exactly the garbage they read
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(skipped(registry, "results")).isEqualTo(written.rollupSkipped.get("results"));
                assertThat(skipped(registry, "tasks")).isEqualTo(written.rollupSkipped.get("tasks"));
                assertThat(skipped(registry, "rollups")).isEqualTo(written.rollupSkipped.get("rollups"));
                assertThat(controlSkipped(registry)).isEqualTo(written.controlSkipped);
            });
            assertThat(written.rollupSkipped.get("results")).isEqualTo(GARBAGE);
            assertThat(written.rollupSkipped.get("rollups")).isEqualTo(GARBAGE);

            // and no thread died
            assertThat(threads(watched))
                    .as("threads after the garbage (a replaced stream thread has a new number)")
                    .isEqualTo(before);
            assertThat(rollups.streams().orElseThrow().state()).isEqualTo(KafkaStreams.State.RUNNING);
            System.out.printf(
                    "Hostile records: %d dead-lettered as malformed (%d without their value), %d valid and newer"
                            + " tasks SUCCEEDED, a cancellation applied, in %d ms; %s%n",
                    count(dead, "malformed"),
                    leftOut.size(),
                    expected.size(),
                    millis,
                    registry.scrape()
                            .lines()
                            .filter(l -> l.startsWith("conveyor_rollup_skipped_records_total")
                                    || l.startsWith("conveyor_worker_control_skipped_total")
                                    || l.startsWith("conveyor_tasks_dead_lettered_total"))
                            .toList());
        }
    }

    /** What was written, and what each reader must make of it. */
    private static final class Written {
        final List<String> newerTasks = new ArrayList<>();
        final Map<String, Integer> rollupSkipped = new HashMap<>(Map.of("tasks", 0, "results", 0, "rollups", 0));
        int undecodable;
        int controlSkipped;
    }

    private Written writeGarbage(KafkaBroker broker, ConveyorConfig config) throws Exception {
        Written w = new Written();
        Garbage garbage = new Garbage(Long.getLong("conveyor.fuzz.seed", 20_261_207L));
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            List<ProducerRecord<byte[], byte[]>> decodeLater = new ArrayList<>();
            String now = Instant.now().toString();
            for (Priority p : Priority.values()) {
                String topic = config.topics().tasks(p);
                for (int i = 0; i < GARBAGE; i++) {
                    ProducerRecord<byte[], byte[]> r = i == 0
                            ? record(topic, null, new byte[AT_THE_LIMIT], List.of())
                            : record(topic, garbage.key(), garbage.value(), garbage.headers());
                    decodeLater.add(r);
                    sent.add(producer.send(r));
                }
                for (int i = 0; i < NEWER; i++) {
                    String id = "newer-" + p.wireName() + "-" + i;
                    sent.add(producer.send(
                            record(topic, i % 2 == 0 ? null : utf8(id), newerTask(id, 1), garbage.headers())));
                    w.newerTasks.add(id);
                }
            }
            // the retry topic: garbage values and garbage not-before headers; a newer writer's retries, due now
            String retry = config.topics().retry();
            for (int i = 0; i < GARBAGE; i++) {
                List<Header> headers = new ArrayList<>(garbage.headers());
                headers.add(new RecordHeader(RecordHeaders.NOT_BEFORE, garbage.notBefore()));
                ProducerRecord<byte[], byte[]> r = i == 0
                        ? record(retry, null, new byte[AT_THE_LIMIT], List.of())
                        : record(retry, garbage.key(), garbage.value(), headers);
                decodeLater.add(r);
                sent.add(producer.send(r));
            }
            for (int i = 0; i < NEWER; i++) {
                String id = "newer-retry-" + i;
                List<Header> headers = List.of(
                        new RecordHeader(RecordHeaders.NOT_BEFORE, utf8(String.valueOf(System.currentTimeMillis()))));
                sent.add(producer.send(record(retry, utf8(id), newerTask(id, 2), headers)));
                w.newerTasks.add(id);
            }
            // the control topic (compacted: every record has a key); a newer writer's cancellations of
            // tasks that do not exist, and its actions this version does not know
            String control = config.topics().control();
            for (int i = 0; i < GARBAGE; i++) {
                byte[] value = garbage.value();
                sent.add(producer.send(record(control, garbage.someKey(), value, garbage.headers())));
                if (value != null) {
                    w.controlSkipped++;
                }
            }
            for (int i = 0; i < NEWER; i++) {
                boolean unknown = i % 5 == 0;
                String value = unknown
                        ? "{\"action\":\"pause\",\"queue\":\"high\"}"
                        : "{\"action\":\"cancel\",\"requestedAt\":\"" + now
                                + "\",\"by\":{\"user\":\"ops\"},\"reason\":\"newer\"}";
                sent.add(producer.send(record(control, utf8("no-such-task-" + i), utf8(value), List.of())));
                if (unknown) {
                    w.controlSkipped++;
                }
            }
            // the results topic, and a newer writer's results with fields this version does not know
            String results = config.topics().results();
            for (int i = 0; i < GARBAGE; i++) {
                byte[] key = garbage.key();
                byte[] value = i % 10 == 0 ? newerResult("keyless-" + i, now) : garbage.value();
                if (i % 10 == 0) {
                    key = null; // readable, but no task id to file it under
                }
                sent.add(producer.send(record(results, key, value, garbage.headers())));
                if (value == null || !readableResult(value) || key == null) {
                    w.rollupSkipped.merge("results", 1, Integer::sum);
                }
            }
            for (int i = 0; i < NEWER; i++) {
                String id = "newer-result-" + i;
                sent.add(producer.send(record(results, utf8(id), newerResult(id, now), List.of())));
            }
            // the rollups topic, read back into /v1/stats
            String windows = config.topics().rollups();
            for (int i = 0; i < GARBAGE; i++) {
                byte[] value = garbage.value();
                sent.add(producer.send(record(windows, garbage.key(), value, garbage.headers())));
                if (value == null || !readableWindow(value)) {
                    w.rollupSkipped.merge("rollups", 1, Integer::sum);
                }
            }
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
            // what the worker and the arrivals make of each record of the task and retry topics
            for (int i = 0; i < decodeLater.size(); i++) {
                ProducerRecord<byte[], byte[]> r = decodeLater.get(i);
                boolean taskTopic = !r.topic().equals(retry);
                boolean readable = readableTask(r);
                if (!readable) {
                    w.undecodable++;
                }
                if (taskTopic && !readable) {
                    w.rollupSkipped.merge("tasks", 1, Integer::sum);
                }
            }
        }
        return w;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, byte[] key, byte[] value, List<Header> headers) {
        return new ProducerRecord<>(topic, null, key, value, headers);
    }

    /** A task as a newer writer would write it: fields this version does not know. */
    private static byte[] newerTask(String id, int attempt) {
        return utf8(
                "{\"id\":\"" + id + "\",\"type\":\"echo\",\"payload\":{\"from\":\"the future\"},\"attempt\":" + attempt
                        + ",\"maxAttempts\":3,\"schemaVersion\":3,\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\","
                        + "\"tags\":[\"a\",\"b\"],\"routing\":{\"zone\":\"eu\",\"weight\":0.5},\"deadline\":null}");
    }

    private static byte[] newerResult(String id, String now) {
        return utf8("{\"id\":\"" + id
                + "\",\"type\":\"echo\",\"status\":\"SUCCEEDED\",\"attempt\":1,\"workerId\":\"w-next\","
                + "\"submittedAt\":\"" + now + "\",\"startedAt\":\"" + now + "\",\"finishedAt\":\"" + now
                + "\",\"updatedAt\":\""
                + now + "\",\"result\":{\"x\":1},\"cost\":{\"cpuMs\":3},\"region\":\"eu\",\"spans\":[1,2]}");
    }

    /** Whether the worker reads this record as a task (as the arrivals do; the origin only fills gaps). */
    private boolean readableTask(ProducerRecord<byte[], byte[]> r) {
        try {
            codec.decode(r.value(), new RecordOrigin(r.topic(), 0, 0, Instant.now(), Priority.NORMAL));
            return true;
        } catch (MalformedTaskException | RuntimeException e) {
            return false;
        }
    }

    private boolean readableResult(byte[] value) {
        try {
            codec.decodeResultKeepingOutput(value);
            return true;
        } catch (MalformedTaskException | RuntimeException e) {
            return false;
        }
    }

    private static boolean readableWindow(byte[] value) {
        try {
            RollupWindow.decode(value);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Tasks written straight to the task topics, as kcat would; their ids are topic-partition-offset. */
    private static List<String> writePlainTasks(KafkaBroker broker, ConveyorConfig config, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(broker.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String topic = config.topics().tasks(Priority.values()[i % 3]);
                sent.add(producer.send(
                        new ProducerRecord<>(topic, utf8("{\"type\":\"echo\",\"payload\":{\"via\":\"kcat\"}}"))));
            }
            for (Future<RecordMetadata> f : sent) {
                RecordMetadata md = f.get();
                ids.add(md.topic() + "-" + md.partition() + "-" + md.offset());
            }
        }
        return ids;
    }

    // ---- reading

    private static long count(List<ConsumerRecord<byte[], byte[]>> records, String reason) {
        return records.stream()
                .filter(r -> reason.equals(RecordHeaders.get(r.headers(), RecordHeaders.REASON)))
                .count();
    }

    /** Every record of a topic, up to its end offsets now. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(KafkaBroker broker, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, Object> props = new HashMap<>(broker.clientConfig());
        props.put("max.partition.fetch.bytes", 4 * 1024 * 1024);
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            await().atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
            });
        }
        return records;
    }

    private static int skipped(PrometheusMeterRegistry registry, String topic) {
        return (int) registry.find("conveyor.rollup.skipped.records").tag("topic", topic).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    private static int controlSkipped(PrometheusMeterRegistry registry) {
        return (int) registry.find("conveyor.worker.control.skipped").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    /** The names of the live threads that {@code watched} picks. */
    private static Set<String> threads(Predicate<String> watched) {
        Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && watched.test(t.getName())) {
                names.add(t.getName());
            }
        }
        return names;
    }

    /** How many of {@code ids} have each status now (a missing task counts as 404). */
    private Map<String, Integer> statuses(String base, List<String> ids) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (String id : ids) {
            counts.merge(status(base, id), 1, Integer::sum);
        }
        return counts;
    }

    private String status(String base, String id) throws Exception {
        HttpResponse<String> r = get(base, "/v1/tasks/" + id);
        if (r.statusCode() != 200) {
            return String.valueOf(r.statusCode());
        }
        JsonNode view = Json.mapper().readTree(r.body());
        return view.path("status").asText();
    }

    private HttpResponse<String> get(String base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(String base, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String base, String json) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
