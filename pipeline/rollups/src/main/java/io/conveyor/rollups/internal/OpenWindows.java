package io.conveyor.rollups.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Window aggregates by size, start and type, kept in memory (so nothing is serialized per result)
 * and written to a logged store, without a cache, at every commit through a {@link CommitHook}:
 * the ones that changed are put, the ones taken out are deleted. So the store always holds, at each
 * commit, what the task had counted up to the offsets it commits, and {@link #attach} rebuilds them
 * after a restart or a move.
 *
 * <p>Store keys: {@link #WINDOW}, size (ms), start (ms), type (UTF-8). Other keys in the store are
 * left alone.
 *
 * <p>Threads: owned by one stream thread.
 */
final class OpenWindows {
    static final byte WINDOW = 2;

    private final long[] sizeMs;
    private final List<TreeMap<Long, Map<String, WindowAggregate>>> bySize = new ArrayList<>();
    private final List<Map.Entry<Bytes, WindowAggregate>> changed = new ArrayList<>();
    private final List<Bytes> removed = new ArrayList<>();
    private KeyValueStore<Bytes, byte[]> store;

    OpenWindows(long[] sizeMs) {
        this.sizeMs = sizeMs.clone();
    }

    /** Reads the windows in {@code store} and writes to it at every commit of {@code hook}'s task. */
    void attach(KeyValueStore<Bytes, byte[]> store, CommitHook hook) {
        attach(store, hook, () -> {});
    }

    /** As {@link #attach(KeyValueStore, CommitHook)}, and runs {@code alsoAtCommit} after writing. */
    void attach(KeyValueStore<Bytes, byte[]> store, CommitHook hook, Runnable alsoAtCommit) {
        this.store = store;
        bySize.clear();
        changed.clear();
        removed.clear();
        for (int i = 0; i < sizeMs.length; i++) {
            bySize.add(new TreeMap<>());
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] key = kv.key.get();
                if (key.length < 1 + 2 * Long.BYTES || key[0] != WINDOW) {
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(key, 1, 2 * Long.BYTES);
                int i = indexOf(b.getLong());
                if (i >= 0) {
                    String type = new String(
                            key, 1 + 2 * Long.BYTES, key.length - 1 - 2 * Long.BYTES, StandardCharsets.UTF_8);
                    bySize.get(i)
                            .computeIfAbsent(b.getLong(), s -> new HashMap<>())
                            .put(type, WindowAggregate.decode(kv.value));
                } else {
                    removed.add(kv.key); // of a window size no longer configured
                }
            }
        }
        hook.onCommit(() -> {
            persist();
            alsoAtCommit.run();
        });
    }

    /** The index of window size {@code size} (ms), or -1. */
    int indexOf(long size) {
        for (int i = 0; i < sizeMs.length; i++) {
            if (sizeMs[i] == size) {
                return i;
            }
        }
        return -1;
    }

    /** The aggregate of window size {@code i} starting at {@code start} for {@code type}, to add to. */
    WindowAggregate get(int i, long start, String type) {
        WindowAggregate a =
                bySize.get(i).computeIfAbsent(start, s -> new HashMap<>()).get(type);
        if (a == null) {
            a = new WindowAggregate();
            bySize.get(i).get(start).put(type, a);
        }
        if (!a.dirty) {
            a.dirty = true;
            changed.add(Map.entry(key(sizeMs[i], start, type), a));
        }
        return a;
    }

    /**
     * Takes out the oldest windows of size {@code i} if they end at or before {@code end}: their
     * aggregates by type, or null when there is none. Deleted from the store at the next commit.
     */
    Map.Entry<Long, Map<String, WindowAggregate>> pollFirst(int i, long end) {
        TreeMap<Long, Map<String, WindowAggregate>> windows = bySize.get(i);
        if (windows.isEmpty() || windows.firstKey() + sizeMs[i] > end) {
            return null;
        }
        Map.Entry<Long, Map<String, WindowAggregate>> first = windows.pollFirstEntry();
        first.getValue().forEach((type, a) -> {
            a.dirty = false;
            removed.add(key(sizeMs[i], first.getKey(), type));
        });
        return first;
    }

    /** Writes what changed since the last commit to the store: deletions first, then puts. */
    private void persist() {
        removed.forEach(store::delete);
        removed.clear();
        for (Map.Entry<Bytes, WindowAggregate> e : changed) {
            if (e.getValue().dirty) {
                store.put(e.getKey(), e.getValue().encode());
                e.getValue().dirty = false;
            }
        }
        changed.clear();
    }

    private static Bytes key(long size, long start, String type) {
        byte[] t = type.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(1 + 2 * Long.BYTES + t.length)
                .put(WINDOW)
                .putLong(size)
                .putLong(start)
                .put(t)
                .array());
    }
}
