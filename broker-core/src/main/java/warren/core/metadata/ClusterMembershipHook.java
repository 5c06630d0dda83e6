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
}
