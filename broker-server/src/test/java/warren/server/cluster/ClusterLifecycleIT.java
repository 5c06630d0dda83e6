package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static warren.server.cluster.ClusterCtl.ctl;
import static warren.server.cluster.ClusterCtl.names;
import static warren.server.cluster.ClusterCtl.ok;
import static warren.server.cluster.ClusterCtl.status;
import static warren.server.cluster.ClusterCtl.statusMatches;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * Two node processes on one machine (own ports, data and log dirs; one node registry and one
 * cookie), clustered with warrenctl as in the seeds' transcript: stop_app, join_cluster, start_app;
 * then cluster_status on both, a definition made on one seen on the other, the app preconditions
 * and exit codes, and a stopped member catching up when it starts again.
 */
class ClusterLifecycleIT extends ClusterNodes {
    private static final long WAIT_MS = 20_000;


    private static boolean exchangeExists(NodeProcess node, String exchange) {
        try (Connection c = node.connect()) {
            Channel ch = c.createChannel();
            ch.exchangeDeclarePassive(exchange);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private NodeProcess node(String name) throws Exception {
        return ClusterCtl.startNode(root, nodes, name, "CLUSTERLIFECYCLEITCOOKIE");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterCtl.await(what, WAIT_MS, condition);
    }

    @Test
    void twoNodesClusterWithWarrenctlAndShareDefinitions() throws Exception {
        NodeProcess a = node("a");
        NodeProcess b = node("b");
        Set<String> both = new TreeSet<>(List.of(a.nodeName(), b.nodeName()));

        // a standalone node is a cluster of one
        JsonNode alone = status(a);
        assertEquals(Set.of(a.nodeName()), names(alone.get("disk_nodes")));
        assertEquals(a.nodeName(), alone.get("cluster_name").asText());

        ClusterCtl.Result running = ctl(b, "join_cluster", a.nodeName());
        assertEquals(64, running.code(), running.err());
        assertTrue(running.err().contains("this command requires the 'warren' app to be stopped on the target node. "
                + "Stop it with 'warrenctl stop_app'."), running.err());

        ok(b, "stop_app");
        ClusterCtl.Result stopped = ctl(b, "cluster_status");
        assertEquals(64, stopped.code(), stopped.err());
        assertTrue(stopped.err().contains("this command requires the 'warren' app to be running on the target node. "
                + "Start it with 'warrenctl start_app'."), stopped.err());
        ClusterCtl.Result self = ctl(b, "join_cluster", b.nodeName());
        assertEquals(70, self.code(), self.err());
        assertTrue(self.err().contains("cannot cluster node with itself"), self.err());
        assertEquals(65, ctl(b, "change_cluster_node_type", "floppy").code());

        ok(b, "join_cluster", a.nodeName());
        ok(b, "start_app");
        await("both nodes disc and running, seen from both", () -> statusMatches(a, both, both)
                && statusMatches(b, both, both));
        assertEquals(a.nodeName(), status(b).get("cluster_name").asText(), "the cluster keeps the first node's name");
        assertEquals(status(a).get("cluster_id"), status(b).get("cluster_id"));

        try (Connection c = a.connect()) {
            Channel ch = c.createChannel();
            ch.exchangeDeclare("orders", "topic", true);
            ch.queueDeclare("orders.eu", true, false, false, null);
        }
        await("exchange 'orders' declared on A visible on B", () -> exchangeExists(b, "orders"));
        try (Connection c = b.connect()) {
            assertEquals("orders.eu", c.createChannel().queueDeclarePassive("orders.eu").getQueue());
        }
        ClusterCtl.Result queues = ctl(b, "list_queues", "name", "node");
        assertTrue(queues.out().contains("orders.eu\t" + a.nodeName()), "B reports the queue's home node: " + queues.out());

        ok(b, "stop_app");
        await("A sees only itself running, both still disc nodes", () -> statusMatches(a, both, Set.of(a.nodeName())));
        try (Connection c = a.connect()) {
            c.createChannel().exchangeDeclare("made-while-b-was-down", "fanout", true);
        }
        ok(b, "start_app");
        await("both running again", () -> statusMatches(a, both, both) && statusMatches(b, both, both));
        assertTrue(exchangeExists(b, "made-while-b-was-down"), "B caught up with a definition made while it was stopped");
    }
}
