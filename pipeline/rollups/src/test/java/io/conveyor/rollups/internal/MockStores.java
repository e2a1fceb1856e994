package io.conveyor.rollups.internal;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;

/** State stores for processors under a {@link MockProcessorContext}, as their task would give them. */
final class MockStores {
    private MockStores() {}

    /** Initializes {@code store} in {@code context} and makes it available to its processors. */
    static <S extends StateStore> S attach(MockProcessorContext<?, ?> context, S store) {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }
}
