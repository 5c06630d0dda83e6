package warren.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import warren.cluster.ClusterSettings;
import warren.core.broker.AdminException;
import warren.core.broker.BrokerSettings;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.FormationOrder;
import warren.server.config.NodeNames;
import warren.server.config.ServerSettings;
import warren.server.config.WarrenConfig;
import warren.server.control.ControlClient;

/**
 * {@code warrenctl discover_peers}: asks the configured backend now (one attempt, no retries, no
 * registration) and checks every peer it returns: the address it would be contacted at, whether
 * its cluster port accepts a TCP connection, and whether its control listener accepts this node's
 * cookie and runs the same Warren version. Works while the node boots: it needs neither the app nor
 * the cluster channel.
 *
 * <p>The peer's control port is assumed to be this node's (every node of a deployment usually uses
 * the same port layout, as RabbitMQ assumes for 25672).
 */
final class DiscoverPeers {

    private static final int PROBE_TIMEOUT_MILLIS = 1500;

    private DiscoverPeers() {
    }

    static Map<String, Object> run(WarrenConfig config, String cookie) {
        ServerSettings server = config.server();
        Discovery discovery;
        try {
            discovery = Discovery.create(config, null, 0).orElseThrow(() -> new AdminException("not_configured",
                    "peer discovery is not configured on node " + server.nodeName()
                            + " (no cluster_formation.peer_discovery_backend, no classic_config nodes)"));
        } catch (RuntimeException e) {
            if (e instanceof AdminException admin) {
                throw admin;
            }
            throw new AdminException("discovery_failed", e.getMessage());
        }
        DiscoveredPeers peers;
        try {
            peers = discovery.backend().discover();
        } catch (DiscoveryException e) {
            throw new AdminException("discovery_failed", "peer discovery (" + discovery.backend().type()
                    + ") failed: " + e.getMessage());
        }
        Optional<String> designated = discovery.backend().designatedSeed(peers);
        String seed = peers.isEmpty() ? "" : designated.orElseGet(() -> FormationOrder.seed(peers.nodes()));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String node : peers.nodes()) {
            rows.add(probe(node, peers.address(node).orElse(null), server, cookie));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", discovery.backend().type());
        out.put("node_type", peers.nodeType().configValue());
        out.put("seed", seed);
        out.put("peers", rows);
        return out;
    }

    private static Map<String, Object> probe(String node, String address, ServerSettings server, String cookie) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("node", node);
        row.put("self", node.equals(server.nodeName()));
        String host = address == null ? NodeNames.host(node) : address;
        InetSocketAddress cluster;
        try {
            cluster = ClusterFormation.socketAddress(host, ClusterSettings.defaultPort(server.listener().port()));
        } catch (UnknownHostException | RuntimeException e) {
            row.put("address", host);
            row.put("reachable", false);
            row.put("compatible", "unknown");
            row.put("detail", "does not resolve: " + e.getMessage());
            return row;
        }
        row.put("address", cluster.getAddress().getHostAddress() + ":" + cluster.getPort());
        boolean reachable = connects(cluster);
        row.put("reachable", reachable);
        try (ControlClient control = ControlClient.connect(cluster.getAddress().getHostAddress(), server.controlPort(),
                cookie, PROBE_TIMEOUT_MILLIS)) {
            Object version = control.call("status", null).path("version").asText("");
            boolean same = BrokerSettings.VERSION.equals(version);
            row.put("compatible", same ? "yes" : "no");
            row.put("detail", same ? "cookie accepted, version " + version
                    : "cookie accepted, but it runs version " + version + " (this node: " + BrokerSettings.VERSION + ")");
        } catch (ControlClient.ControlException e) {
            boolean cookieRefused = e.failure() == ControlClient.Failure.AUTH_FAILED;
            row.put("compatible", cookieRefused ? "no" : "unknown");
            row.put("detail", cookieRefused ? "its control listener refused this node's cookie"
                    : (reachable ? "cluster port open; control listener: " : "not reachable: ") + e.getMessage());
        } catch (RuntimeException e) {
            row.put("compatible", "unknown");
            row.put("detail", "control listener: " + e.getMessage());
        }
        return row;
    }

    private static boolean connects(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, PROBE_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
