package warren.cluster.jgroups;

import java.util.List;

/**
 * What the cluster channel tells its owner. Called on JGroups threads, one call at a time per
 * channel for deliveries and snapshots; implementations must not block for long, because while
 * a callback runs no further broadcast is delivered.
 */
public interface ClusterListener {

    /**
     * A new view was installed.
     *
     * @param members node names, oldest (the coordinator) first
     * @param merged  true when the view heals a partition: both sides' state must now be merged
     */
    void onViewChange(List<String> members, boolean merged);

    /** A broadcast, delivered in the same total order on every member (the sender included). */
    void onDeliver(String fromNode, byte[] payload);

    /** The state a joiner should start from; called on the coordinator while a node joins. */
    byte[] snapshot();

    /** Replaces local state with the coordinator's snapshot, before any later broadcast is delivered. */
    void restore(byte[] snapshot);
}
