package warren.cluster.jgroups;

/**
 * A member of the cluster refused this node's join, typically because the cookies differ. Distinct
 * from other failures because retrying cannot help: an operator has to fix the cookie.
 */
public final class ClusterJoinRefusedException extends ClusterException {

    private static final long serialVersionUID = 1L;

    public ClusterJoinRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
