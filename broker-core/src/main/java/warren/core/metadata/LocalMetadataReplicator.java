package warren.core.metadata;

import java.util.concurrent.CompletableFuture;

/**
 * The standalone node: a change is applied at once, on the caller's thread, and the future is
 * already complete when submit returns (so a standalone broker answers without any hop).
 * Serialised so that changes from several threads still apply one at a time. Changes are
 * versioned as in a cluster, so that a standalone node's definitions merge correctly if other
 * nodes later join it.
 */
public final class LocalMetadataReplicator implements MetadataReplicator {
    private final HybridClock clock = new HybridClock();
    private final String nodeName;
    private MetadataApplier applier;

    public LocalMetadataReplicator(String nodeName) {
        this.nodeName = nodeName;
    }

    @Override
    public void bind(MetadataApplier applier) {
        this.applier = applier;
    }

    @Override
    public synchronized CompletableFuture<Object> submit(MetadataCommand command) {
        try {
            return CompletableFuture.completedFuture(applier.apply(command, new Version(clock.now(), nodeName)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
