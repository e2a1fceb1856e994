package io.conveyor.rollups.internal;

import io.conveyor.core.StatusUnavailableException;
import io.conveyor.core.TaskResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Finds a task's view wherever its key lives among the rollup instances of one application id:
 * Kafka Streams says which instance holds the key's partition ({@link
 * KafkaStreams#queryMetadataForKey}), this instance reads its own store when that is itself, and
 * otherwise asks the owner over HTTP ({@link PeerClient}, {@code local=true} so the owner never
 * forwards again). If the owner cannot answer (restoring, restarting, unreachable), the standbys
 * are asked next (with {@code num.standby.replicas} &gt; 0); if none can, the lookup fails with
 * {@link StatusUnavailableException} (the API's 503).
 *
 * <p>Threads: {@link #find} and {@link #findLocal} block (store reads, HTTP) and are called on
 * virtual threads; {@link KafkaStreams} metadata and store queries are thread-safe.
 */
public final class KeyRouter {
    private final KafkaStreams streams;
    private final String storeName;
    private final HostInfo self;
    private final PeerClient peers;
    private final String scheme;

    /** @param scheme {@code http} or {@code https}: how every instance of the application is reached */
    public KeyRouter(KafkaStreams streams, String storeName, HostInfo self, PeerClient peers, String scheme) {
        this.streams = streams;
        this.storeName = storeName;
        this.self = self;
        this.peers = peers;
        this.scheme = scheme;
    }

    /** The view of {@code id}, from this instance or the one that holds it. */
    public Optional<TaskResult> find(String id) {
        KeyQueryMetadata owner = metadata(id);
        List<HostInfo> candidates = new ArrayList<>();
        candidates.add(owner.activeHost());
        candidates.addAll(owner.standbyHosts());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            HostInfo host = candidates.get(i);
            try {
                if (host.equals(self)) {
                    return read(id, owner.partition(), i > 0);
                }
                return peers.find(url(scheme, host), id, true);
            } catch (StatusUnavailableException e) {
                failures.add(e.getMessage());
            }
        }
        throw new StatusUnavailableException("task '" + id + "' is held by partition " + owner.partition()
                + " and no instance holding it can answer now (rollups are " + streams.state() + "): "
                + String.join("; ", failures) + "; retry shortly");
    }

    /**
     * The view of {@code id} from this instance's own store only, if it holds the key's partition
     * as the active or a standby (a standby may be slightly behind).
     */
    public Optional<TaskResult> findLocal(String id) {
        KeyQueryMetadata owner = metadata(id);
        boolean active = owner.activeHost().equals(self);
        if (!active && !owner.standbyHosts().contains(self)) {
            throw new StatusUnavailableException(self.host() + ":" + self.port() + " does not hold partition "
                    + owner.partition() + " of task '" + id + "' (it moved to "
                    + owner.activeHost().host() + ":"
                    + owner.activeHost().port() + "); retry shortly");
        }
        return read(id, owner.partition(), !active);
    }

    private KeyQueryMetadata metadata(String id) {
        KeyQueryMetadata owner;
        try {
            owner = streams.queryMetadataForKey(storeName, id, Serdes.String().serializer());
        } catch (IllegalStateException e) {
            owner = KeyQueryMetadata.NOT_AVAILABLE;
        }
        if (owner == null
                || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)
                || owner.activeHost().port() == -1) {
            throw new StatusUnavailableException(
                    "the task-status table is not available yet: the rollup instance that holds task '" + id
                            + "' is not known (rollups are " + streams.state()
                            + ", partitions being assigned); retry shortly");
        }
        return owner;
    }

    private Optional<TaskResult> read(String id, int partition, boolean stale) {
        try {
            StoreQueryParameters<ReadOnlyKeyValueStore<String, TaskResult>> query =
                    StoreQueryParameters.fromNameAndType(
                                    storeName, QueryableStoreTypes.<String, TaskResult>keyValueStore())
                            .withPartition(partition);
            ReadOnlyKeyValueStore<String, TaskResult> store = streams.store(stale ? query.enableStaleStores() : query);
            return Optional.ofNullable(store.get(id));
        } catch (InvalidStateStoreException e) {
            throw new StatusUnavailableException(
                    "the task-status table is not available here yet (rollups are " + streams.state() + ", partition "
                            + partition + " restoring or moving); retry shortly",
                    e);
        }
    }

    static String url(String scheme, HostInfo host) {
        return scheme + "://" + host.host() + ":" + host.port();
    }
}
