package warren.cluster.jgroups;

/**
 * A member of the cluster refused this node's join, because the cookies differ or because the two
 * nodes run Warren versions that cannot cluster (another major or minor version). Distinct from
 * other failures because retrying cannot help: an operator has to fix the cookie or the version.
 */
public final class ClusterJoinRefusedException extends ClusterException {

    private static final long serialVersionUID = 1L;

    public ClusterJoinRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
