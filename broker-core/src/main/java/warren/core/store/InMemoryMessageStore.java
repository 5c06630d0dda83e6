package warren.core.store;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store of a node that keeps nothing on disk (RAM nodes, tests): every write completes at
 * once and nothing survives a restart. Queues never page out to it.
 */
public final class InMemoryMessageStore implements MessageStore {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private final AtomicLong ids = new AtomicLong(1);
    private final SharedRefs refs = new SharedRefs();

    @Override
    public boolean isDurable() {
        return false;
    }

    @Override
    public long nextMessageId() {
        return ids.getAndIncrement();
    }

    @Override
    public void writeBody(long messageId, StoredMessage message) {
    }

    @Override
    public CompletableFuture<Void> writeIndex(String queueKey, StoredEntry entry) {
        return DONE;
    }

    @Override
    public CompletableFuture<Void> updateIndex(String queueKey, List<StoredEntry> entries) {
        return DONE;
    }

    @Override
    public void removeIndex(String queueKey, long seq, long messageId, boolean deleteBody) {
    }

    @Override
    public CompletableFuture<List<Loaded>> read(String queueKey, long fromSeq, int max) {
        return CompletableFuture.completedFuture(List.of());
    }

    @Override
    public CompletableFuture<Void> removeRange(String queueKey, long fromSeq, long toSeq) {
        return DONE;
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return DONE;
    }

    @Override
    public CompletableFuture<Void> putDefinition(DefinitionRecord record) {
        return DONE;
    }

    @Override
    public CompletableFuture<Void> deleteDefinition(DefinitionRecord.Kind kind, String key) {
        return DONE;
    }

    @Override
    public List<DefinitionRecord> loadDefinitions() {
        return List.of();
    }

    @Override
    public SharedRefs sharedRefs() {
        return refs;
    }

    @Override
    public RecoveredQueue recover(String queueKey, int inMemory) {
        return new RecoveredQueue(List.of(), 0, 0, -1);
    }

    @Override
    public void dropOtherQueues(Set<String> durableQueueKeys) {
    }

    @Override
    public void close() {
    }
}
