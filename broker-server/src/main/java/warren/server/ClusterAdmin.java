package warren.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import warren.cluster.ClusterSettings;
import warren.cluster.membership.ClusterState;
import warren.core.broker.AdminException;
import warren.server.config.NodeNames;
import warren.server.config.ServerSettings;

/**
 * The node's side of the clustering commands (cluster_status, join_cluster, reset,
 * change_cluster_node_type), with rabbitmqctl's preconditions: status needs the app running, the
 * others need it stopped. Refusals are {@link AdminException}s whose kind warrenctl turns into
 * rabbitmqctl's exit code.
 */
final class ClusterAdmin {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClusterAdmin.class);

    private final BrokerDaemon daemon;
    private final ForgetMember forgetting;

    ClusterAdmin(BrokerDaemon daemon) {
        this.daemon = daemon;
        this.forgetting = new ForgetMember(daemon);
    }

    /** forget_cluster_node [--offline]: see {@link ForgetMember#forget}. */
    void forget(String node, boolean offline) {
        forgetting.forget(node, offline);
    }

    Map<String, Object> status() {
        BrokerApp app = daemon.app();
        if (app == null) {
            throw BrokerDaemon.appStopped();
        }
        ClusterState state = daemon.clusterState();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster_name", state.clusterName());
        out.put("cluster_id", state.clusterId());
        out.put("disk_nodes", state.nodesOfType(ClusterState.DISC));
        out.put("ram_nodes", state.nodesOfType(ClusterState.RAM));
        out.put("running_nodes", app.runningNodes().stream().sorted().toList());
        return out;
    }

    /** join_cluster: resets this node and records {@code target} as the cluster to join at the next start_app. */
    void joinCluster(String target, boolean ram) {
        requireStopped();
        ServerSettings server = daemon.config().server();
        String full = NodeNames.complete(target.trim());
        if (full == null) {
            throw new AdminException("bad_argument", "'" + target + "' is not a node name; use name@host or a bare "
                    + "name such as warren (meaning warren@" + NodeNames.shortHostname() + ")");
        }
        if (full.equals(server.nodeName())) {
            throw new AdminException("cannot_cluster_with_itself", "cannot cluster node with itself: "
                    + server.nodeName());
        }
        String seed = clusterAddressOf(full, server);
        wipeDataDir(server.dataDir());
        daemon.clusterState().resetTo(ram ? ClusterState.RAM : ClusterState.DISC, full, seed);
    }

    /** reset: forgets all definitions, messages and cluster membership of this node. */
    void reset() {
        requireStopped();
        String node = daemon.config().server().nodeName();
        ClusterState state = daemon.clusterState();
        List<String> others = state.members().stream().map(ClusterState.Member::node).filter(n -> !n.equals(node))
                .toList();
        if (ClusterState.DISC.equals(state.ownType()) && !others.isEmpty()
                && state.nodesOfType(ClusterState.DISC).stream().allMatch(n -> n.equals(node))) {
            throw new AdminException("last_disc_node", "cannot reset node " + node + ": it is the only disc node of "
                    + "its cluster and RAM nodes " + others + " would be left without one (a cluster needs a disc node "
                    + "to keep its definitions). Turn one of them into a disc node or remove them first, or use "
                    + "'warrenctl force_reset'");
        }
        forgetting.leaveBeforeReset();
        wipeDataDir(daemon.config().server().dataDir());
        state.resetTo(ClusterState.DISC, null, null);
    }

    /** force_reset: as reset, without asking any member to forget this node and without the last-disc-node check. */
    void forceReset() {
        requireStopped();
        wipeDataDir(daemon.config().server().dataDir());
        daemon.clusterState().resetTo(ClusterState.DISC, null, null);
    }

    void changeNodeType(String requested) {
        String type = requested.toLowerCase(Locale.ROOT);
        if (type.equals("disk")) {
            type = ClusterState.DISC;
        }
        if (!type.equals(ClusterState.DISC) && !type.equals(ClusterState.RAM)) {
            throw new AdminException("bad_argument", "node type must be one of: disc, ram (got '" + requested + "')");
        }
        requireStopped();
        String node = daemon.config().server().nodeName();
        ClusterState state = daemon.clusterState();
        if (type.equals(ClusterState.RAM) && state.members().stream().allMatch(m -> m.node().equals(node))) {
            throw new AdminException("not_clustered", "{:not_clustered, 'Non-clustered nodes can only be disc nodes.'}");
        }
        if (type.equals(ClusterState.RAM)
                && state.nodesOfType(ClusterState.DISC).stream().noneMatch(n -> !n.equals(node))) {
            throw new AdminException("last_disc_node", "cannot change node " + node + " to ram: it is the only disc "
                    + "node of its cluster, and a cluster needs at least one disc node to keep its definitions. Join "
                    + "another disc node to the cluster first");
        }
        state.ownType(type);
    }

    /**
     * force_boot: the node starts without waiting for the peers it saw running when it stopped —
     * at once if its app is waiting for them now, else at its next start.
     */
    void forceBoot() {
        daemon.clusterState().forceBoot(true);
        LOG.warn("force_boot requested for node {}: it will not wait for its peers at its next (or current) start",
                daemon.config().server().nodeName());
    }

    private void requireStopped() {
        if (daemon.app() != null) {
            throw new AdminException("app_running", "this command requires the 'warren' app to be stopped on the "
                    + "target node. Stop it with 'warrenctl stop_app'.");
        }
    }

    /**
     * Where {@code node}'s cluster port is: its node registry entry when it runs on this machine (as
     * epmd answers for rabbitmqctl), else its host name on the default cluster port.
     */
    private String clusterAddressOf(String node, ServerSettings server) {
        Optional<NodeRegistry.Entry> entry = new NodeRegistry(server.runDir()).lookup(node);
        if (entry.isPresent() && entry.get().distPort() > 0) {
            String host = entry.get().distHost() == null ? "127.0.0.1" : entry.get().distHost();
            return host + ":" + entry.get().distPort();
        }
        String host = NodeNames.host(node);
        if (host.equalsIgnoreCase(NodeNames.shortHostname()) || host.equalsIgnoreCase("localhost")) {
            throw new AdminException("unavailable", "node " + node + " is not running on this machine (no entry in "
                    + "the node registry " + server.runDir() + "); start it, then run join_cluster again");
        }
        try {
            return InetAddress.getByName(host).getHostAddress() + ":" + ClusterSettings.defaultPort(5672);
        } catch (UnknownHostException e) {
            throw new AdminException("unavailable", "the host of node " + node + " ('" + host + "') does not resolve;"
                    + " check DNS or /etc/hosts");
        }
    }

    private static void wipeDataDir(Path dataDir) {
        if (!Files.isDirectory(dataDir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
            List<Path> all = paths.filter(p -> !p.equals(dataDir)).sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new AdminException("reset_failed", "could not wipe the data directory " + dataDir + ": " + e
                    + "; check its permissions and retry");
        }
    }
}
