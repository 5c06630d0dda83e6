package warren.core.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a node keeps what must survive it: durable definitions, and persistent messages of
 * durable queues (plus transient ones paged out of memory). Writes are asynchronous and applied
 * in submission order; a returned future completes once the write, and everything submitted
 * before it, is synced to disk. Callbacks run on the store's thread: hop before doing real work.
 *
 * <p>A queue is identified by its {@code queueKey} ("vhost\0name").
 */
public interface MessageStore extends AutoCloseable {

    /** Whether anything survives a restart (false for the in-memory store of RAM nodes and tests). */
    boolean isDurable();

    long nextMessageId();

    /** Stores a body once, whatever the number of queues that will reference it. */
    void writeBody(long messageId, StoredMessage message);

    /**
     * Whether bodies are being submitted faster than they are written: the submitted-but-unwritten
     * bytes are above the store's bound. Publishers then stop reading until {@link #whenCaughtUp}.
     */
    default boolean isBehind() {
        return false;
    }

    /** Runs {@code resume} (now, or on the store's thread) once the store is no longer behind. */
    default void whenCaughtUp(Runnable resume) {
        resume.run();
    }

    /** Adds an index record; completes when synced (publisher confirms wait for this). */
    CompletableFuture<Void> writeIndex(String queueKey, StoredEntry entry);

    /**
     * Rewrites the flags of index records (first delivery marks them DELIVERED), all in one write.
     * Unlike the other futures, this one completes once the records are <em>written</em> to the
     * store's log, before the sync: enough to survive the process being killed (a delivery waits for
     * it), not necessarily a power loss (the next synced write covers it).
     */
    CompletableFuture<Void> updateIndex(String queueKey, List<StoredEntry> entries);

    /** Removes an index record (ack, drop, dead-letter) and, if {@code deleteBody}, the body too. */
    void removeIndex(String queueKey, long seq, long messageId, boolean deleteBody);

    /** Reads up to {@code max} index records with seq >= {@code fromSeq}, with their bodies. */
    CompletableFuture<List<Loaded>> read(String queueKey, long fromSeq, int max);

    /** Removes every index record of a queue with seq in [fromSeq, toSeq) and their unshared bodies. */
    CompletableFuture<Void> removeRange(String queueKey, long fromSeq, long toSeq);

    /** Completes when every write submitted before it is synced. */
    CompletableFuture<Void> barrier();

    CompletableFuture<Void> putDefinition(DefinitionRecord record);

    CompletableFuture<Void> deleteDefinition(DefinitionRecord.Kind kind, String key);

    List<DefinitionRecord> loadDefinitions();

    /** Reference counts of shared bodies, rebuilt at recovery. */
    SharedRefs sharedRefs();

    /**
     * Recovery of one durable queue: drops transient records, counts the rest and returns the
     * first {@code inMemory} with bodies.
     */
    RecoveredQueue recover(String queueKey, int inMemory);

    /** Deletes index records of queues not in {@code durableQueueKeys} (transient queues of a previous run). */
    void dropOtherQueues(java.util.Set<String> durableQueueKeys);

    /** An index record with its body. */
    record Loaded(StoredEntry entry, StoredMessage message) {
    }

    /** What recovery found for one queue. */
    record RecoveredQueue(List<Loaded> head, long total, long nextUnloadedSeq, long lastSeq) {
    }

    @Override
    void close();
}
