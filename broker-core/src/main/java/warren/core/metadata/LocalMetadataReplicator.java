package warren.core.metadata;

import java.util.concurrent.CompletableFuture;

/**
 * The standalone node: a change is applied at once, on the caller's thread, and the future is
 * already complete when submit returns (so a standalone broker answers without any hop).
 * Serialised so that changes from several threads still apply one at a time.
 */
public final class LocalMetadataReplicator implements MetadataReplicator {
    private MetadataApplier applier;

    @Override
    public void bind(MetadataApplier applier) {
        this.applier = applier;
    }

    @Override
    public synchronized CompletableFuture<Object> submit(MetadataCommand command) {
        try {
            return CompletableFuture.completedFuture(applier.apply(command));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
