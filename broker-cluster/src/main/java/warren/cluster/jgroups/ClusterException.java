package warren.cluster.jgroups;

/** The cluster channel could not do what was asked; the message names the node and what to check. */
public class ClusterException extends Exception {

    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
