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
import warren.discovery.DiscoveryLock;
import warren.discovery.FormationOrder;
import warren.discovery.RetryPolicy;
import warren.server.config.NodeNames;

/**
 * The first-boot plan of a blank node whose config names a peer discovery backend (or lists
 * {@code cluster_formation.classic_config.nodes.N}): the discovered candidates and the addresses
 * the backend gave for them, who may form a new cluster, the node type to join as, the retry
 * policy, and the formation lock while it is held.
 *
 * <p>Why it exists only for a blank node (no cluster id recorded, no join pending): as in RabbitMQ, a
 * node that has been a member rejoins the peers it recorded; running discovery again could move it
 * into another cluster and lose its data. A start that failed before a cluster id was agreed leaves
 * the node blank, so restarting it retries formation.
 *
 * <p>Who may form. With a backend that has a lock (etcd, Consul) the order is register, lock,
 * discover, then join any running candidate or else form, and release the lock once joined: nodes
 * take turns, and the one holding the lock sees every node registered before it, so forming alone is
 * safe. Without a lock, only the seed may form — the backend's designated seed (Kubernetes'
 * StatefulSet ordinal) or else the lowest candidate name ({@link FormationOrder}) — because nodes
 * booting in parallel cannot see each other yet, but all read the same candidate list.
 */
final class ClusterFormation implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFormation.class);

    private final String self;
    private final List<String> candidates;
    private final Map<String, String> addresses;
    private final String seed;
    private final String nodeType;
    private final RetryPolicy retry;
    private final DiscoveryLock lock;
    private boolean released;

    private ClusterFormation(String self, DiscoveredPeers peers, String seed, RetryPolicy retry, DiscoveryLock lock) {
        this.self = self;
        this.candidates = peers.nodes();
        this.addresses = peers.addresses();
        this.seed = seed;
        this.nodeType = peers.nodeType().configValue();
        this.retry = retry;
        this.lock = lock;
    }

    /**
     * The plan when discovery must run: formation is configured, the node is blank and the
     * backend lists candidates other than this node (or holds a lock); else empty (the node starts
     * a cluster of its own, or rejoins its recorded peers). Registers the node first when the backend
     * keeps a registry, so that nodes booting together see each other.
     *
     * @throws IllegalStateException when the backend keeps failing
     */
    static Optional<ClusterFormation> forFirstBoot(Discovery discovery, ClusterState state, FormationStatus status)
            throws InterruptedException {
        String self = discovery.self();
        boolean blank = state.clusterId() == null && state.joinTarget() == null;
        discovery.register(status, blank);
        if (!blank) {
            LOG.info("node {} already belongs to cluster '{}' (or has a join pending): peer discovery is skipped, "
                    + "as it runs only on a blank node's first boot", self, state.clusterName());
            return Optional.empty();
        }
        discovery.startupDelay();
        Optional<DiscoveryLock> lock = discovery.lock(status);
        try {
            DiscoveredPeers peers = discovery.discover(status);
            RetryPolicy retry = discovery.retry();
            String type = discovery.backend().type();
            boolean alone = peers.isEmpty() || (peers.nodes().size() == 1 && peers.contains(self));
            if (alone && lock.isEmpty()) {
                LOG.info("peer discovery ({}) lists no other node: node {} forms a cluster of its own", type, self);
                status.set(FormationStatus.State.STANDALONE, type + " lists no other node");
                return Optional.empty();
            }
            String seed = lock.isPresent() ? self
                    : discovery.backend().designatedSeed(peers).orElseGet(() -> FormationOrder.seed(peers.nodes()));
            ClusterFormation plan = new ClusterFormation(self, peers, seed, retry, lock.orElse(null));
            status.candidates(peers.nodes(), lock.isPresent() ? "" : seed);
            LOG.info("peer discovery ({}): candidates {}, {}; node {} {}", type, plan.candidates,
                    lock.isPresent() ? "formation lock held" : "seed " + seed, self,
                    plan.mayForm() ? "may form the cluster if no candidate runs one"
                            : "must join the seed's cluster (up to " + retry.maxAttempts() + " attempts, "
                                    + retry.interval().toMillis() + " ms apart)");
            return Optional.of(plan);
        } catch (InterruptedException | RuntimeException e) {
            lock.ifPresent(DiscoveryLock::close);
            throw e;
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

    /** Whether this node may start a new cluster: it holds the formation lock, or it is the seed. */
    boolean mayForm() {
        return lock != null || self.equals(seed);
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

    List<String> candidates() {
        return candidates;
    }

    /** Releases the formation lock, if this node holds one; called once the node has joined or formed. */
    @Override
    public void close() {
        if (lock != null && !released) {
            released = true;
            lock.close();
            LOG.info("Peer discovery: node {} released the formation lock", self);
        }
    }

    /**
     * The members this node connects to, by name, with their cluster address, split by trust.
     * {@link Anchors#trusted} are nodes known to be in a cluster: every other candidate whose app runs
     * on this machine (its node registry entry names a cluster port only once its app is in a cluster),
     * and the seed. {@link Anchors#others} are the remaining candidates at the address the backend gave
     * (or their node name's host), at their cluster port: they may be running members — any member of
     * an existing cluster is a valid join target — or blank nodes themselves, which is why a view
     * holding only them is kept only when it carries a cluster identity (see {@link #accepts}).
     */
    Anchors anchors(NodeRegistry registry, int amqpPort) {
        Map<String, InetSocketAddress> trusted = new LinkedHashMap<>();
        Map<String, InetSocketAddress> others = new LinkedHashMap<>();
        for (String node : FormationOrder.order(candidates)) {
            if (node.equals(self)) {
                continue;
            }
            Optional<NodeRegistry.Entry> entry = registry.lookup(node);
            if (entry.isPresent() && entry.get().distPort() > 0) {
                String host = entry.get().distHost() == null ? "127.0.0.1" : entry.get().distHost();
                trusted.put(node, new InetSocketAddress(host, entry.get().distPort()));
                continue;
            }
            String address = addresses.get(node);
            if (address == null && isLocalHost(NodeNames.host(node))) {
                continue; // a local candidate not registered yet: a blank node, never an anchor
            }
            try {
                InetSocketAddress at = socketAddress(address == null ? NodeNames.host(node) : address,
                        ClusterSettings.defaultPort(amqpPort));
                (node.equals(seed) || lock != null ? trusted : others).put(node, at);
            } catch (UnknownHostException e) {
                LOG.warn("the host of candidate {} does not resolve yet: {}", node, e.getMessage());
            }
        }
        return new Anchors(trusted, others);
    }

    /** Candidates to connect to: {@code trusted} keep a view by being in it; {@code others} do not. */
    record Anchors(Map<String, InetSocketAddress> trusted, Map<String, InetSocketAddress> others) {

        boolean isEmpty() {
            return trusted.isEmpty() && others.isEmpty();
        }

        List<InetSocketAddress> all() {
            List<InetSocketAddress> out = new java.util.ArrayList<>(trusted.values());
            out.addAll(others.values());
            return out;
        }
    }

    /**
     * Whether to keep a channel whose view is {@code view}: always for a node that may form; else when
     * the view holds a trusted anchor, or the cluster's identity arrived with the state transfer
     * ({@code hasIdentity}), meaning the view is a formed cluster and not a group of blank nodes.
     */
    boolean accepts(List<String> view, Anchors anchors, boolean hasIdentity) {
        return mayForm() || view.stream().anyMatch(anchors.trusted()::containsKey) || (view.size() > 1 && hasIdentity);
    }

    /** {@code host}, {@code host:port}, {@code ip}, {@code [ipv6]:port} or a bare IPv6 literal. */
    static InetSocketAddress socketAddress(String address, int defaultPort) throws UnknownHostException {
        String host = address;
        int port = defaultPort;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            host = address.substring(1, close);
            if (address.length() > close + 2 && address.charAt(close + 1) == ':') {
                port = Integer.parseInt(address.substring(close + 2));
            }
        } else if (address.indexOf(':') > 0 && address.indexOf(':') == address.lastIndexOf(':')) {
            host = address.substring(0, address.indexOf(':'));
            port = Integer.parseInt(address.substring(address.indexOf(':') + 1));
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static boolean isLocalHost(String host) {
        return host.equalsIgnoreCase(NodeNames.shortHostname()) || host.equalsIgnoreCase("localhost");
    }

    /** The error when retries run out, naming the seed and the keys to change. */
    IllegalStateException gaveUp(int attempts) {
        String who = lock != null ? "while holding the formation lock" : "of seed node " + seed;
        return new IllegalStateException("node " + self + " could not join the cluster " + who
                + " after " + attempts + " attempts " + retry.interval().toMillis() + " ms apart: no candidate of "
                + candidates + " answered as a running cluster member. Only the seed (the lowest-named candidate, "
                + "or the backend's designated seed) may form a new cluster. Start " + seed + ", or remove it from "
                + "the backend's node list, or wait longer by raising "
                + RetryPolicy.LIMIT_KEY + " / " + RetryPolicy.INTERVAL_KEY + "; then start this node again "
                + "(it is still blank and will retry formation)");
    }
}
