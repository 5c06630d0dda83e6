package warren.discovery;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What a backend found: candidate node names ({@code warren@host1}) in the backend's order,
 * without duplicates, and the type this node should join as.
 *
 * <p>An empty list is a valid answer, not an error: it means "nobody to cluster with", and a
 * blank node then boots standalone, as in RabbitMQ.
 *
 * @param nodes candidate node names, unmodifiable, duplicates removed keeping the first
 * @param nodeType the type this node joins as
 */
public record DiscoveredPeers(List<String> nodes, NodeType nodeType) {

    public DiscoveredPeers {
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(nodeType, "nodeType");
        for (String node : nodes) {
            if (node == null || node.isBlank()) {
                throw new IllegalArgumentException("blank node name in " + nodes);
            }
        }
        nodes = List.copyOf(new LinkedHashSet<>(nodes));
    }

    /** No candidates: the node boots standalone. */
    public static DiscoveredPeers none(NodeType nodeType) {
        return new DiscoveredPeers(List.of(), nodeType);
    }

    public boolean isEmpty() {
        return nodes.isEmpty();
    }

    public boolean contains(String nodeName) {
        return nodes.contains(nodeName);
    }
}
