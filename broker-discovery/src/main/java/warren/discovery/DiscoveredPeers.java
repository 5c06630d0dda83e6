package warren.discovery;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backend found: candidate node names ({@code warren@host1}) in the backend's order,
 * without duplicates, the type this node should join as, and, for each candidate the backend
 * knows an address of, the host or IP address to contact it at.
 *
 * <p>The addresses are what makes a node independent of its host resolver: a DNS backend answers
 * the A record's address next to the PTR name, Consul the service address, Kubernetes the pod IP,
 * AWS the private IP. A candidate without an address (classic_config) is contacted at its node
 * name's host, resolved by the system resolver.
 *
 * <p>An address is a host name or IP literal, optionally followed by {@code :port} giving the
 * peer's cluster port (an IPv6 literal then in brackets, {@code [fd00::7]:25672}); without a port
 * the server uses the default cluster port derived from its AMQP port, as for classic_config.
 *
 * <p>An empty list is a valid answer, not an error: it means "nobody to cluster with", and a
 * blank node then boots standalone, as in RabbitMQ.
 *
 * @param nodes candidate node names, unmodifiable, duplicates removed keeping the first
 * @param nodeType the type this node joins as
 * @param addresses node name to the host or IP to contact it at; only for listed nodes
 */
public record DiscoveredPeers(List<String> nodes, NodeType nodeType, Map<String, String> addresses) {

    public DiscoveredPeers {
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(nodeType, "nodeType");
        Objects.requireNonNull(addresses, "addresses");
        for (String node : nodes) {
            if (node == null || node.isBlank()) {
                throw new IllegalArgumentException("blank node name in " + nodes);
            }
        }
        nodes = List.copyOf(new LinkedHashSet<>(nodes));
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : addresses.entrySet()) {
            if (!nodes.contains(e.getKey())) {
                throw new IllegalArgumentException("address given for " + e.getKey()
                        + ", which is not a discovered node of " + nodes);
            }
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw new IllegalArgumentException("blank address for " + e.getKey());
            }
            copy.put(e.getKey(), e.getValue());
        }
        addresses = Map.copyOf(copy);
    }

    /** Candidates that are contacted at their node name's host. */
    public DiscoveredPeers(List<String> nodes, NodeType nodeType) {
        this(nodes, nodeType, Map.of());
    }

    /** No candidates: the node boots standalone. */
    public static DiscoveredPeers none(NodeType nodeType) {
        return new DiscoveredPeers(List.of(), nodeType);
    }

    /**
     * Candidates found at addresses: {@code peers} maps each node name to its address, in the
     * backend's order (use a {@link LinkedHashMap}).
     */
    public static DiscoveredPeers at(Map<String, String> peers, NodeType nodeType) {
        return new DiscoveredPeers(List.copyOf(peers.keySet()), nodeType, peers);
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    public boolean contains(String nodeName) {
        return nodes.contains(nodeName);
    }

    /** The host or IP the backend gave for {@code nodeName}, if it gave one. */
    public Optional<String> address(String nodeName) {
        return Optional.ofNullable(addresses.get(nodeName));
    }
}
