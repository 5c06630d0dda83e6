package warren.server;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.membership.ClusterState;
import warren.discovery.ConfigWarnings;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;

/**
 * {@code cluster_formation.node_cleanup.*}, as RabbitMQ's peer discovery cleanup: when either key is
 * set, every {@code interval} seconds (default 60) the node looks for cluster members that do not
 * run and that the discovery backend no longer lists. With {@code only_log_warning = true} (the
 * default) it logs a warning for each; with {@code false} it forgets them, as
 * {@code warrenctl forget_cluster_node} would (they cannot rejoin afterwards).
 *
 * <p>Unlike RabbitMQ, a backend that cannot be asked skips the check: RabbitMQ takes the failed
 * answer as an empty list and so removes every member that is down at that moment.
 */
final class NodeCleanup implements AutoCloseable {

    static final String INTERVAL_KEY = "cluster_formation.node_cleanup.interval";
    static final String WARN_ONLY_KEY = "cluster_formation.node_cleanup.only_log_warning";
    private static final long DEFAULT_INTERVAL_SECONDS = 60;

    private static final Logger LOG = LoggerFactory.getLogger(NodeCleanup.class);

    private final BrokerDaemon daemon;
    private final boolean warnOnly;
    private final ScheduledExecutorService timer;

    private NodeCleanup(BrokerDaemon daemon, boolean warnOnly, long intervalSeconds) {
        this.daemon = daemon;
        this.warnOnly = warnOnly;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "warren-node-cleanup");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::checkQuietly, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    }

    /** Starts the periodic check when peer discovery is configured and a node_cleanup key is set. */
    static Optional<NodeCleanup> start(BrokerDaemon daemon, boolean discoveryConfigured) {
        if (!discoveryConfigured) {
            return Optional.empty();
        }
        Map<String, Object> values = daemon.config().values();
        if (!values.containsKey(INTERVAL_KEY) && !values.containsKey(WARN_ONLY_KEY)) {
            LOG.info("Peer discovery: node cleanup is disabled");
            return Optional.empty();
        }
        long interval = ((Number) values.getOrDefault(INTERVAL_KEY, DEFAULT_INTERVAL_SECONDS)).longValue();
        boolean warnOnly = (Boolean) values.getOrDefault(WARN_ONLY_KEY, Boolean.TRUE);
        LOG.info("Peer discovery: enabling node cleanup ({}). Check interval: {} seconds.",
                warnOnly ? "will only log warnings" : "will remove nodes not known to the discovery backend", interval);
        return Optional.of(new NodeCleanup(daemon, warnOnly, interval));
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("Peer discovery: node cleanup check failed: {}", e.toString());
        }
    }

    /** One check: the members warned about or removed. */
    List<String> check() {
        BrokerApp app = daemon.app();
        Discovery discovery = app == null ? null : app.discovery().orElse(null);
        if (discovery == null) {
            return List.of(); // the app is stopped: nothing to compare
        }
        LOG.debug("Peer discovery: checking for partitioned nodes to clean up.");
        List<String> running = app.runningNodes();
        List<String> unreachable = daemon.clusterState().members().stream().map(ClusterState.Member::node)
                .filter(n -> !running.contains(n)).toList();
        if (unreachable.isEmpty()) {
            LOG.debug("Peer discovery: all known cluster nodes are up.");
            return List.of();
        }
        DiscoveredPeers listed;
        try {
            listed = discovery.backend().discover();
        } catch (DiscoveryException e) {
            LOG.warn("Peer discovery: node cleanup skipped this check, the backend could not be asked: {}",
                    e.getMessage());
            return List.of();
        }
        if (listed.nodes().size() <= 1 && discovery.backend().designatedSeed(listed).isPresent()) {
            // k8s StatefulSet mode names only the seed, not the members: every other member would look unknown
            ConfigWarnings.warnOnce(LOG, "Peer discovery: node cleanup skipped: the "
                    + discovery.backend().type() + " backend lists only the seed node, not the cluster's"
                    + " members, so it cannot tell which members are gone");
            return List.of();
        }
        List<String> unknown = unreachable.stream().filter(n -> !listed.contains(n)).toList();
        if (unknown.isEmpty()) {
            LOG.debug("Peer discovery: all unreachable nodes are still registered with the discovery backend {}",
                    discovery.backend().type());
            return List.of();
        }
        for (String node : unknown) {
            if (warnOnly) {
                LOG.warn("Peer discovery: node {} is unreachable", node);
                continue;
            }
            LOG.warn("Peer discovery: removing unknown node {} from the cluster", node);
            try {
                new ForgetMember(daemon).forget(node, false);
            } catch (RuntimeException e) { // another member removed it first, or it came back
                LOG.info("Peer discovery: node {} was not removed: {}", node, e.getMessage());
            }
        }
        return unknown;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
