package warren.core.link;

/**
 * The broker's side of the inter-node data link; the transport (broker-cluster) calls it when a
 * connection is ready. Implemented by {@link QueueLinks}.
 */
public interface LinkEndpoint {

    /** A peer dialled this node and proved the cookie: it will ask about queues living here. */
    LinkHandler accepted(LinkConnection connection);

    /** This node's connection to {@code connection.peer()} is up: requests about its queues go on it. */
    LinkHandler connected(LinkConnection connection);
}
