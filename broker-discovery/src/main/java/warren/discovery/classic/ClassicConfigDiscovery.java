package warren.discovery.classic;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.PeerDiscovery;
import warren.discovery.RetryPolicy;

/**
 * Peers from the configuration file: {@code cluster_formation.classic_config.nodes.1 ..N}, in
 * numeric order, joined as {@code cluster_formation.node_type} (default {@code disc}).
 *
 * <p>Settings are read once, when the backend is created, so a malformed key stops the node at
 * boot rather than being retried as if it were a network failure. {@link #discover()} cannot fail.
 *
 * <p>A list that does not name this node is answered as configured, with a warning, as RabbitMQ's
 * classic backend does: the node can still join the listed peers, but it can never be the seed
 * that starts the cluster (see {@link warren.discovery.FormationOrder}), which is usually a typo
 * in the node name or in the list. The lock is not supported: every node reads the same list, so
 * the deterministic seed rule is enough.
 */
public final class ClassicConfigDiscovery implements PeerDiscovery {

    /** The numbered family listing the peers. */
    public static final String NODES_KEY = "cluster_formation.classic_config.nodes";

    private static final Logger LOG = LoggerFactory.getLogger(ClassicConfigDiscovery.class);

    private final String localNodeName;
    private final DiscoveredPeers peers;
    private final RetryPolicy retryPolicy;
    private final AtomicBoolean warnedAboutSelf = new AtomicBoolean();

    /**
     * @throws warren.discovery.DiscoveryException naming the key when the node list, the node
     *     type or the retry settings are malformed
     */
    public ClassicConfigDiscovery(DiscoverySettings settings) {
        Objects.requireNonNull(settings, "settings");
        List<String> nodes = settings.list(NODES_KEY);
        NodeType nodeType = settings.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        this.localNodeName = settings.localNodeName();
        this.peers = new DiscoveredPeers(nodes, nodeType);
        this.retryPolicy = RetryPolicy.from(settings);
    }

    @Override
    public DiscoveredPeers discover() {
        if (peers.isEmpty()) {
            LOG.info("Peer discovery: no {}.N keys are set; this node will boot standalone",
                    NODES_KEY);
        } else if (!peers.contains(localNodeName) && warnedAboutSelf.compareAndSet(false, true)) {
            LOG.warn("Peer discovery: local node {} is not part of the configured nodes {} ({}.N);"
                    + " it can join them but will never start the cluster itself",
                    localNodeName, peers.nodes(), NODES_KEY);
        }
        return peers;
    }

    @Override
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    @Override
    public String type() {
        return ClassicConfigDiscoveryFactory.TYPE;
    }
}
