package warren.core.metadata;

import java.util.concurrent.CompletableFuture;

/**
 * Where a definition change is agreed. The core submits every change here and answers its
 * client when the returned future completes (with this node's result of applying it, or its
 * error). {@link LocalMetadataReplicator} is the standalone node; the cluster module provides one
 * that orders changes across the running members.
 */
public interface MetadataReplicator {

    /** Called once, before the first submit, with what applies commands on this node. */
    void bind(MetadataApplier applier);

    CompletableFuture<Object> submit(MetadataCommand command);
}
