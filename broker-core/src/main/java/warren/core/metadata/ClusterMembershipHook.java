package warren.core.metadata;

import java.util.List;

/**
 * Where the cluster layer records membership commands ({@link MetadataCommand.PutClusterIdentity},
 * {@link MetadataCommand.PutClusterMember}, {@link MetadataCommand.ForgetClusterMember}) as they are
 * applied in the agreed order. The core only forwards them: it knows nothing of JGroups or of the
 * cluster state file.
 */
public interface ClusterMembershipHook {

    /** Records one membership command; called in the agreed order, one call at a time. */
    void apply(MetadataCommand command);

    /** The membership as commands, for the snapshot a joining node receives. */
    List<MetadataCommand> snapshot();

    /**
     * Whether the membership received so far from the cluster this node reached says that this
     * node belongs there. When false (a cluster that forgot this node, or another cluster), its
     * definitions must not be merged into this node's: the start is about to be refused.
     */
    default boolean belongsToReachedCluster() {
        return true;
    }
}
