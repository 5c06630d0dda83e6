package warren.cluster.membership;

/**
 * A restarting member reached a cluster that does not list it (it was forgotten) or that has
 * another cluster id (the cluster was reset and formed again): RabbitMQ's {@code inconsistent_cluster}.
 * The message is rabbitmqctl's sentence, without the leading {@code Error: }.
 */
public final class InconsistentClusterException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public InconsistentClusterException(String node, String peer) {
        super("inconsistent_cluster: Node " + node + " thinks it's clustered with node " + peer + ", but " + peer
                + " disagrees");
    }
}
