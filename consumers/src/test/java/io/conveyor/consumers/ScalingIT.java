package io.conveyor.consumers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.conveyor.core.ConveyorConfig;
import io.conveyor.core.Json;
import io.conveyor.core.Task;
import io.conveyor.core.TaskCodec;
import io.conveyor.core.TaskResult;
import io.conveyor.core.TaskStatus;
import io.conveyor.core.TopicProvisioner;
import io.conveyor.core.testing.ResultsProbe;
import io.conveyor.core.testing.TestClients;
import io.conveyor.infra.kafka.KafkaBroker;
import io.conveyor.infra.kafka.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Workers join and leave the group while tasks flow: every task still ends exactly once. */
@ExtendWith(KafkaBrokerExtension.class)
class ScalingIT {

    @Test
    void scalingFromOneToFourWorkersAndBackDuringLoadLosesNothing(KafkaBroker broker) throws Exception {
        ConveyorConfig config = ConveyorConfig.builder()
                .set(ConveyorConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers())
                .set(ConveyorConfig.TOPICS_PREFIX, broker.uniqueName("scale"))
                .set(ConveyorConfig.TOPICS_PARTITIONS, 8)
                .set(ConveyorConfig.WORKER_GROUP, broker.uniqueName("g"))
                .set(ConveyorConfig.WORKER_CONCURRENCY, 16)
                .build();
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(10))
                    .ensure(config.topics().all());
        }
        TaskCodec codec = new TaskCodec();
        List<String> ids = new ArrayList<>();
        Deque<Worker> workers = new ArrayDeque<>();

        try (KafkaProducer<byte[], byte[]> producer = TestClients.producer(broker.bootstrapServers());
                ResultsProbe results = new ResultsProbe(
                        broker.bootstrapServers(), config.topics().results())) {
            workers.push(start(config));
            // twelve waves of tasks; the group grows to four workers and shrinks back to one meanwhile
            for (int wave = 0; wave < 12; wave++) {
                for (int i = 0; i < 1_000; i++) {
                    Task t = Task.builder("sleep")
                            .payload(Json.mapper().readTree("{\"ms\":2}"))
                            .build();
                    ids.add(t.id());
                    TestClients.send(producer, config.topics(), t);
                }
                producer.flush();
                if (wave < 3) {
                    workers.push(start(config));
                } else if (wave >= 6 && wave < 9) {
                    workers.pop().close();
                }
                int seen = ids.size() - 1_000;
                await().atMost(Duration.ofSeconds(60)).until(() -> terminalCount(results.poll(), ids) >= seen);
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> terminalCount(results.poll(), ids) == ids.size());

            Map<String, List<TaskResult>> terminals = results.terminals();
            long duplicates =
                    ids.stream().filter(id -> terminals.get(id).size() > 1).count();
            System.out.printf("scaling 1→4→1 over %d tasks: %d executed more than once%n", ids.size(), duplicates);
            assertThat(ids)
                    .allSatisfy(id -> assertThat(terminals.get(id))
                            .isNotEmpty()
                            .allSatisfy(r -> assertThat(r.status()).isEqualTo(TaskStatus.SUCCEEDED)));
            assertThat(workers).hasSize(1);
        } finally {
            workers.forEach(Worker::close);
        }
    }

    private static Worker start(ConveyorConfig config) {
        return Worker.start(config, HandlerRegistry.discover(), new SimpleMeterRegistry());
    }

    private static long terminalCount(ResultsProbe results, List<String> ids) {
        Map<String, List<TaskResult>> terminals = results.terminals();
        return ids.stream()
                .filter(id -> !terminals.getOrDefault(id, List.of()).isEmpty())
                .count();
    }
}
