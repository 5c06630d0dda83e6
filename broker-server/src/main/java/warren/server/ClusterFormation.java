package warren.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.ClusterSettings;
import warren.cluster.membership.ClusterState;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.FormationOrder;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;
import warren.discovery.classic.ClassicConfigDiscovery;
import warren.server.config.NodeNames;
import warren.server.config.WarrenConfig;

/**
 * The first-boot plan of a blank node whose config sets {@code cluster_formation.peer_discovery_backend}
 * or lists {@code cluster_formation.classic_config.nodes.N}:
 * the discovered candidates, the {@link FormationOrder} seed, the node type to join as and the retry
 * policy.
 *
 * <p>Why it exists only for a blank node (no cluster id recorded, no join pending): as in RabbitMQ, a
 * node that has been a member rejoins the peers it recorded; running discovery again could move it
 * into another cluster and lose its data. A start that failed before a cluster id was agreed leaves
 * the node blank, so restarting it retries formation.
 *
 * <p>Why only the seed may form: nodes booting in parallel cannot see each other yet, so any rule
 * based on who is up would let two of them form a cluster each; the candidate list is the same
 * input on every node, so exactly one node concludes it is the seed (see {@link FormationOrder}).
 */
final class ClusterFormation {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFormation.class);

    private final String self;
    private final List<String> candidates;
    private final String seed;
    private final String nodeType;
    private final RetryPolicy retry;

    private ClusterFormation(String self, DiscoveredPeers peers, RetryPolicy retry) {
        this.self = self;
        this.candidates = peers.nodes();
        this.seed = FormationOrder.seed(candidates);
        this.nodeType = peers.nodeType().configValue();
        this.retry = retry;
    }

    /**
     * The plan when discovery must run: a backend (or a classic_config node list) is configured, the node is blank and the backend
     * lists candidates other than this node; else empty (the node starts as before).
     *
     * @throws IllegalStateException when the backend is unknown, misconfigured or keeps failing
     */
    static Optional<ClusterFormation> forFirstBoot(WarrenConfig config, ClusterState state)
            throws InterruptedException {
        String self = config.server().nodeName();
        // unset means classic_config (as in RabbitMQ), so a node list alone also turns formation on
        if (config.value(DiscoverySettings.BACKEND_KEY).isEmpty()
                && config.list(ClassicConfigDiscovery.NODES_KEY).isEmpty()) {
            return Optional.empty();
        }
        if (state.clusterId() != null || state.joinTarget() != null) {
            LOG.info("node {} already belongs to cluster '{}' (or has a join pending): peer discovery is skipped, "
                    + "as it runs only on a blank node's first boot", self, state.clusterName());
            return Optional.empty();
        }
        DiscoverySettings settings = new DiscoverySettings(self, flatten(config.values()));
        PeerDiscovery backend;
        try {
            backend = new PeerDiscoveryLoader().load(settings);
        } catch (DiscoveryException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        RetryPolicy retry = backend.retryPolicy();
        DiscoveredPeers peers = discover(backend, retry);
        if (peers.isEmpty() || (peers.nodes().size() == 1 && peers.contains(self))) {
            LOG.info("peer discovery ({}) lists no other node: node {} forms a cluster of its own", backend.type(),
                    self);
            return Optional.empty();
        }
        ClusterFormation plan = new ClusterFormation(self, peers, retry);
        LOG.info("peer discovery ({}): candidates {}, seed {}; node {} {}", backend.type(), plan.candidates,
                plan.seed, self, plan.isSeed() ? "is the seed and may form the cluster"
                        : "must join the seed's cluster (up to " + retry.maxAttempts() + " attempts, "
                                + retry.interval().toMillis() + " ms apart)");
        return Optional.of(plan);
    }

    private static DiscoveredPeers discover(PeerDiscovery backend, RetryPolicy retry) throws InterruptedException {
        for (int attempt = 1;; attempt++) {
            try {
                return backend.discover();
            } catch (DiscoveryException e) {
                if (attempt >= retry.maxAttempts()) {
                    throw new IllegalStateException("peer discovery (" + backend.type() + ") failed "
                            + attempt + " times: " + e.getMessage(), e);
                }
                LOG.warn("peer discovery ({}) failed, retrying in {} ms: {}", backend.type(),
                        retry.interval().toMillis(), e.getMessage());
                Thread.sleep(retry.interval().toMillis());
            }
        }
    }

    /** WarrenConfig keeps numbered families as lists; discovery backends read them as {@code prefix.N} keys. */
    static Map<String, String> flatten(Map<String, Object> values) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (e.getValue() instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    out.put(e.getKey() + "." + (i + 1), String.valueOf(list.get(i)));
                }
            } else if (e.getValue() instanceof Map<?, ?> map) {
                map.forEach((k, v) -> out.put(e.getKey() + "." + k, String.valueOf(v)));
            } else if (e.getValue() != null) {
                out.put(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        return out;
    }

    boolean isSeed() {
        return self.equals(seed);
    }

    String seed() {
        return seed;
    }

    String nodeType() {
        return nodeType;
    }

    RetryPolicy retry() {
        return retry;
    }

    /**
     * The members this node may connect to, by name, with their cluster address: every other candidate
     * whose app runs on this machine (its node registry entry is written only once its app is in a
     * cluster), plus, for a non-seed, the seed on another machine at its host and the default cluster
     * port. A local candidate that is not registered yet is left out on purpose: it may be a non-seed
     * that is momentarily alone, and joining it would start a second cluster.
     */
    Map<String, InetSocketAddress> anchors(NodeRegistry registry, int amqpPort) {
        Map<String, InetSocketAddress> out = new LinkedHashMap<>();
        for (String node : FormationOrder.order(candidates)) {
            if (node.equals(self)) {
                continue;
            }
            Optional<NodeRegistry.Entry> entry = registry.lookup(node);
            if (entry.isPresent() && entry.get().distPort() > 0) {
                String host = entry.get().distHost() == null ? "127.0.0.1" : entry.get().distHost();
                out.put(node, new InetSocketAddress(host, entry.get().distPort()));
            } else if (node.equals(seed) && !isSeed() && !isLocalHost(NodeNames.host(node))) {
                try {
                    out.put(node, new InetSocketAddress(InetAddress.getByName(NodeNames.host(node)),
                            ClusterSettings.defaultPort(amqpPort)));
                } catch (UnknownHostException e) {
                    LOG.warn("the host of seed node {} does not resolve yet: {}", node, e.getMessage());
                }
            }
        }
        return out;
    }

    private static boolean isLocalHost(String host) {
        return host.equalsIgnoreCase(NodeNames.shortHostname()) || host.equalsIgnoreCase("localhost");
    }

    /** The error when retries run out, naming the seed and the keys to change. */
    IllegalStateException gaveUp(int attempts) {
        return new IllegalStateException("node " + self + " could not join the cluster of seed node " + seed
                + " after " + attempts + " attempts " + retry.interval().toMillis() + " ms apart: no candidate of "
                + candidates + " answered as a running cluster member. Only the seed (the lowest-named candidate) "
                + "may form a new cluster. Start " + seed + ", or remove it from "
                + "cluster_formation.classic_config.nodes.N, or wait longer by raising "
                + RetryPolicy.LIMIT_KEY + " / " + RetryPolicy.INTERVAL_KEY + "; then start this node again "
                + "(it is still blank and will retry formation)");
    }
}
