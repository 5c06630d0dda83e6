package warren.server;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.membership.ClusterState;
import warren.core.broker.AdminException;
import warren.core.metadata.MetadataCommand.ForgetClusterMember;
import warren.server.config.NodeNames;
import warren.server.config.ServerSettings;
import warren.server.control.ControlClient;
import warren.server.control.ControlClient.ControlException;

/**
 * Removing a member from a cluster: {@code forget_cluster_node} (agreed with the running members,
 * or with {@code --offline} recorded only on this stopped node) and the leave that {@code reset} of
 * a clustered node does first (asking a reachable member to forget it). Refusals are rabbitmqctl's
 * {@code rabbit_mnesia} errors.
 */
final class ForgetMember {

    private static final Logger LOG = LoggerFactory.getLogger(ForgetMember.class);
    private static final long AGREE_TIMEOUT_MS = 30_000;
    private static final int LEAVE_TIMEOUT_MS = 5_000;

    private final BrokerDaemon daemon;

    ForgetMember(BrokerDaemon daemon) {
        this.daemon = daemon;
    }

    /** forget_cluster_node [--offline] NODE, run on a member. */
    void forget(String target, boolean offline) {
        String self = daemon.config().server().nodeName();
        String node = NodeNames.complete(target.trim());
        if (node == null) {
            throw new AdminException("bad_argument", "'" + target + "' is not a node name; use name@host");
        }
        BrokerApp app = daemon.app();
        ClusterState state = daemon.clusterState();
        if (offline && app != null) {
            throw new AdminException("online_node_offline_flag", "online_node_offline_flag: You set the --offline "
                    + "flag, which is used to remove nodes remotely from offline nodes, but this node is online.");
        }
        if (!offline && app == null) {
            throw new AdminException("offline_node_no_offline_flag", "offline_node_no_offline_flag: You are trying "
                    + "to remove a node from an offline node. That is dangerous, but can be done with the --offline "
                    + "flag. Please consult the manual for warrenctl for more information.");
        }
        ClusterState.Member member = state.member(node);
        if (member == null) {
            throw new AdminException("not_a_cluster_node", "{:not_a_cluster_node, 'The node selected is not in the "
                    + "cluster.'}");
        }
        if (node.equals(self) || (app != null && app.runningNodes().contains(node))) {
            throw new AdminException("node_running", "Warren on node " + node + " must be stopped with 'warrenctl -n "
                    + node + " stop_app' before it can be removed");
        }
        if (member.type().equals(ClusterState.DISC)
                && state.nodesOfType(ClusterState.DISC).stream().allMatch(node::equals)) {
            throw new AdminException("last_disc_node", "cannot forget node " + node + ": it is the only disc node "
                    + "of the cluster, and a cluster needs at least one disc node");
        }
        ForgetClusterMember command = new ForgetClusterMember(node);
        if (app == null) {
            state.apply(command);
            LOG.info("node {} (offline) forgot cluster member {}", self, node);
            return;
        }
        try {
            app.broker().submit(command).get(AGREE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("forget_failed", "interrupted while removing node " + node);
        } catch (ExecutionException | TimeoutException e) {
            throw new AdminException("forget_failed", "the cluster did not agree to remove node " + node + " within "
                    + AGREE_TIMEOUT_MS / 1000 + " s: " + e);
        }
        LOG.info("node {}: cluster member {} forgotten", self, node);
    }

    /**
     * Before a reset: asks the first reachable other member to forget this node, as RabbitMQ's reset
     * of a clustered node leaves the cluster. Best effort: members that are down or unreachable keep
     * listing it (forget it there with forget_cluster_node).
     */
    void leaveBeforeReset() {
        ServerSettings server = daemon.config().server();
        String self = server.nodeName();
        NodeRegistry registry = new NodeRegistry(server.runDir());
        for (ClusterState.Member m : daemon.clusterState().members()) {
            if (m.node().equals(self)) {
                continue;
            }
            String[] hostPort = controlEndpoint(m, registry);
            if (hostPort == null) {
                continue;
            }
            try (ControlClient c = ControlClient.connect(hostPort[0], Integer.parseInt(hostPort[1]), daemon.cookie(),
                    LEAVE_TIMEOUT_MS)) {
                c.call("forget_cluster_node", Map.of("node", self));
                LOG.info("reset of node {}: cluster member {} forgot it", self, m.node());
                return;
            } catch (ControlException e) {
                if ("not_a_cluster_node".equals(e.kind())) {
                    return; // already forgotten
                }
                LOG.info("reset of node {}: member {} could not forget it ({}); trying the next", self, m.node(),
                        e.getMessage());
            }
        }
    }

    /** The member's control listener: its node registry entry, else its cluster host on dist port + 10000. */
    private static String[] controlEndpoint(ClusterState.Member m, NodeRegistry registry) {
        Optional<NodeRegistry.Entry> entry = registry.lookup(m.node());
        if (entry.isPresent() && entry.get().controlPort() > 0) {
            return new String[] {entry.get().controlConnectHost(), Integer.toString(entry.get().controlPort())};
        }
        int colon = m.address().lastIndexOf(':');
        if (colon < 0) {
            return null;
        }
        int dist = Integer.parseInt(m.address().substring(colon + 1));
        return new String[] {m.address().substring(0, colon), Integer.toString(dist + 10_000)};
    }
}
