package io.conveyor.consumers.internal;

import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.lang.reflect.Proxy;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ShareConsumer;

/**
 * {@link KafkaClientMetrics} for a {@link ShareConsumer}, which Micrometer has no binder for (the
 * generic base, {@code KafkaMetrics}, is package-private). The binder reads nothing of a client but
 * {@code metrics()}, so it is given a {@link Consumer} view whose {@code metrics()} are the share
 * consumer's and whose other methods refuse. {@code ShareConsumer.metrics()} may be called from any
 * thread, as the binder does. Stateless.
 */
final class ShareConsumerMetrics {
    private ShareConsumerMetrics() {}

    static KafkaClientMetrics of(ShareConsumer<?, ?> consumer) {
        Consumer<?, ?> view = (Consumer<?, ?>) Proxy.newProxyInstance(
                Consumer.class.getClassLoader(), new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
                    return switch (method.getName()) {
                        case "metrics" -> consumer.metrics();
                        case "toString" -> "the metrics of " + consumer;
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default ->
                            throw new UnsupportedOperationException(
                                    method.getName() + " on the metrics view of a share consumer");
                    };
                });
        return new KafkaClientMetrics(view);
    }
}
