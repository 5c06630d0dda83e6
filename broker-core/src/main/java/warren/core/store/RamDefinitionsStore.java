package warren.core.store;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The store of a RAM node: definitions live in memory only (writes are accepted and dropped, nothing
 * is loaded at boot: the node gets the definitions from the cluster when it joins), while messages
 * still go to the wrapped store, as the seeds describe for RAM nodes.
 */
public final class RamDefinitionsStore implements MessageStore {
    private final MessageStore messages;

    public RamDefinitionsStore(MessageStore messages) {
        this.messages = messages;
    }

    @Override
    public boolean isDurable() {
        return messages.isDurable();
    }

    @Override
    public long nextMessageId() {
        return messages.nextMessageId();
    }

    @Override
    public void writeBody(long messageId, StoredMessage message) {
        messages.writeBody(messageId, message);
    }

    @Override
    public CompletableFuture<Void> writeIndex(String queueKey, StoredEntry entry) {
        return messages.writeIndex(queueKey, entry);
    }

    @Override
    public CompletableFuture<Void> updateIndex(String queueKey, List<StoredEntry> entries) {
        return messages.updateIndex(queueKey, entries);
    }

    @Override
    public void removeIndex(String queueKey, long seq, long messageId, boolean deleteBody) {
        messages.removeIndex(queueKey, seq, messageId, deleteBody);
    }

    @Override
    public CompletableFuture<List<Loaded>> read(String queueKey, long fromSeq, int max) {
        return messages.read(queueKey, fromSeq, max);
    }

    @Override
    public CompletableFuture<Void> removeRange(String queueKey, long fromSeq, long toSeq) {
        return messages.removeRange(queueKey, fromSeq, toSeq);
    }

    @Override
    public CompletableFuture<Void> barrier() {
        return messages.barrier();
    }

    @Override
    public CompletableFuture<Void> putDefinition(DefinitionRecord record) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> deleteDefinition(DefinitionRecord.Kind kind, String key) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public List<DefinitionRecord> loadDefinitions() {
        return List.of();
    }

    @Override
    public SharedRefs sharedRefs() {
        return messages.sharedRefs();
    }

    @Override
    public RecoveredQueue recover(String queueKey, int inMemory) {
        return messages.recover(queueKey, inMemory);
    }

    @Override
    public void dropOtherQueues(Set<String> durableQueueKeys) {
        messages.dropOtherQueues(durableQueueKeys);
    }

    @Override
    public void close() {
        messages.close();
    }
}
