package io.conveyor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ThrottledWarningTest {
    @Test
    void logsTheFirstAtOnceAndSumsUpTheRestOncePerInterval() {
        AtomicLong now = new AtomicLong(1_000);
        List<String> lines = new CopyOnWriteArrayList<>();
        String name = "throttled-" + System.nanoTime();
        AbstractAppender appender = new AbstractAppender("capture-" + name, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLoggerName().equals(name)) {
                    lines.add(event.getMessage().getFormattedMessage());
                }
            }
        };
        appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().addAppender(appender, Level.WARN, null);
        context.updateLoggers();
        try {
            ThrottledWarning warning =
                    new ThrottledWarning(LoggerFactory.getLogger(name), Duration.ofSeconds(10), now::get);
            for (int i = 0; i < 1_000; i++) {
                warning.warn("Skipping record {}", i);
                now.addAndGet(5_000_000); // 5 ms apart: 5 s in all
            }
            assertThat(lines).containsExactly("Skipping record 0");

            now.addAndGet(Duration.ofSeconds(6).toNanos());
            warning.warn("Skipping record {}", "x");
            assertThat(lines)
                    .containsExactly(
                            "Skipping record 0",
                            "Skipping record x (999 more like it since the last such line were not logged)");
        } finally {
            context.getConfiguration().getRootLogger().removeAppender(appender.getName());
            context.updateLoggers();
        }
    }
}
