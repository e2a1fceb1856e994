package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class TaskResultMergeTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    @Test
    void aRetriedTaskEndsSucceededWithItsAttemptsAndPhases() {
        TaskResult view = fold(history());

        assertThat(view.status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(view.attempt()).isEqualTo(2);
        assertThat(view.submittedAt()).isEqualTo(T0);
        assertThat(view.startedAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(view.finishedAt()).isEqualTo(T0.plusSeconds(4));
    }

    @RepeatedTest(50)
    void anyArrivalOrderGivesTheSameTerminalStatus() {
        List<TaskResult> events = new ArrayList<>(history());
        Collections.shuffle(events, new Random());
        assertThat(fold(events).status()).isEqualTo(TaskStatus.SUCCEEDED);
        assertThat(fold(events).attempt()).isEqualTo(2);
    }

    @Test
    void theFirstTerminalStatusSticks() {
        TaskResult cancelled = event(TaskStatus.CANCELLED, 1, 2);
        TaskResult lateSuccess = event(TaskStatus.SUCCEEDED, 1, 3);
        assertThat(TaskResult.merge(cancelled, lateSuccess).status()).isEqualTo(TaskStatus.CANCELLED);
    }

    private static List<TaskResult> history() {
        Task task = Task.builder("fail").id("t1").submittedAt(T0).build();
        return List.of(
                TaskResult.queued(task),
                event(TaskStatus.RUNNING, 1, 1),
                event(TaskStatus.RETRYING, 1, 2),
                event(TaskStatus.RUNNING, 2, 3),
                event(TaskStatus.SUCCEEDED, 2, 4));
    }

    private static TaskResult event(TaskStatus status, int attempt, int second) {
        Instant at = T0.plusSeconds(second);
        boolean running = status == TaskStatus.RUNNING;
        Instant started = running ? at : at.minusSeconds(1);
        return new TaskResult("t1", "fail", status, attempt, "w1", T0, started, running ? null : at, at, null, null);
    }

    private static TaskResult fold(List<TaskResult> events) {
        TaskResult view = null;
        for (TaskResult e : events) {
            view = TaskResult.merge(view, e);
        }
        return view;
    }
}
