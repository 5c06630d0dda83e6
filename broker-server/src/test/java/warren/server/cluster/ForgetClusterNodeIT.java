package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static warren.server.cluster.ClusterCtl.ctl;
import static warren.server.cluster.ClusterCtl.names;
import static warren.server.cluster.ClusterCtl.ok;
import static warren.server.cluster.ClusterCtl.status;
import static warren.server.cluster.ClusterCtl.statusMatches;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * The seeds' "Breaking up a cluster" transcript with two node processes: B joins A; A refuses to
 * forget B while B runs; B stops its app and A forgets it; B's start_app then fails with
 * inconsistent_cluster; after reset B starts as a cluster of one.
 */
class ForgetClusterNodeIT extends ClusterNodes {
    private static final long WAIT_MS = 20_000;


    private NodeProcess node(String name) throws Exception {
        return ClusterCtl.startNode(root, nodes, name, "FORGETCLUSTERNODEITCOOKIE");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        ClusterCtl.await(what, WAIT_MS, condition);
    }

    @Test
    void forgottenNodeIsRefusedUntilReset() throws Exception {
        NodeProcess a = node("a");
        NodeProcess b = node("b");
        Set<String> both = new TreeSet<>(List.of(a.nodeName(), b.nodeName()));
        Set<String> onlyA = Set.of(a.nodeName());

        ok(b, "stop_app");
        ok(b, "join_cluster", a.nodeName());
        ok(b, "start_app");
        await("both nodes disc and running", () -> statusMatches(a, both, both) && statusMatches(b, both, both));
        String clusterId = status(a).get("cluster_id").asText();

        ClusterCtl.Result running = ctl(a, "forget_cluster_node", b.nodeName());
        assertEquals(69, running.code(), running.err());
        assertTrue(running.err().contains("Error:\nWarren on node " + b.nodeName() + " must be stopped with 'warrenctl -n "
                + b.nodeName() + " stop_app' before it can be removed"), running.err());
        ClusterCtl.Result stranger = ctl(a, "forget_cluster_node", "nobody@nowhere");
        assertEquals(69, stranger.code(), stranger.err());
        assertTrue(stranger.err().contains("The node selected is not in the cluster."), stranger.err());

        ok(b, "stop_app");
        await("b gone from a's running nodes", () -> statusMatches(a, both, onlyA));
        ClusterCtl.Result forget = ctl(a, "forget_cluster_node", b.nodeName());
        assertEquals(0, forget.code(), forget.err() + forget.out());
        assertTrue(forget.out().contains("Removing node " + b.nodeName() + " from the cluster"), forget.out());
        assertEquals(List.of(a.nodeName()), List.copyOf(names(status(a).get("disk_nodes"))));

        ClusterCtl.Result refused = ctl(b, "start_app");
        assertEquals(69, refused.code(), refused.err() + refused.out());
        assertTrue(refused.err().contains("Error: inconsistent_cluster: Node " + b.nodeName() + " thinks it's "
                + "clustered with node " + a.nodeName() + ", but " + a.nodeName() + " disagrees"), refused.err());
        assertEquals(64, ctl(b, "cluster_status").code(), "b's app must not have started");
        await("a alone, b not rejoined", () -> statusMatches(a, onlyA, onlyA));

        ok(b, "reset");
        ok(b, "start_app");
        JsonNode alone = status(b);
        assertEquals(Set.of(b.nodeName()), names(alone.get("disk_nodes")));
        assertEquals(Set.of(b.nodeName()), names(alone.get("running_nodes")));
        assertEquals(b.nodeName(), alone.get("cluster_name").asText());
        assertNotEquals(clusterId, alone.get("cluster_id").asText());
        assertTrue(statusMatches(a, onlyA, onlyA), "a still a cluster of one");

        for (NodeProcess n : List.of(b, a)) {
            assertTrue(NodeProcess.cleanExit(n.stop()), n.nodeName() + " stops cleanly");
        }
    }

    @Test
    void resetLeavesTheClusterAndAForgottenNodeDoesNotBoot() throws Exception {
        NodeProcess a = node("a");
        NodeProcess b = node("b");
        Set<String> both = new TreeSet<>(List.of(a.nodeName(), b.nodeName()));
        Set<String> onlyA = Set.of(a.nodeName());

        ok(b, "stop_app");
        ok(b, "join_cluster", a.nodeName());
        ok(b, "start_app");
        await("both nodes disc and running", () -> statusMatches(a, both, both));

        // reset of a clustered node makes the running members forget it
        ok(b, "stop_app");
        ok(b, "reset");
        await("a forgot b after b's reset", () -> statusMatches(a, onlyA, onlyA));
        ok(b, "start_app");
        assertEquals(Set.of(b.nodeName()), names(status(b).get("disk_nodes")));

        // join again, stop the whole node b, forget it: b's next boot is refused
        ok(b, "stop_app");
        ok(b, "join_cluster", a.nodeName());
        ok(b, "start_app");
        await("both nodes disc and running again", () -> statusMatches(a, both, both));
        assertTrue(NodeProcess.cleanExit(b.stop()), "b stops cleanly");
        await("b gone from a's running nodes", () -> statusMatches(a, both, onlyA));
        ok(a, "forget_cluster_node", b.nodeName());
        assertEquals(69, b.startExpectingExit(Duration.ofSeconds(60)), NodeProcess.tail(b.consoleFile(), 30));
        String console = Files.readString(b.consoleFile());
        assertTrue(console.contains("Error: inconsistent_cluster: Node " + b.nodeName() + " thinks it's clustered "
                + "with node " + a.nodeName() + ", but " + a.nodeName() + " disagrees"), console);
        assertTrue(statusMatches(a, onlyA, onlyA), "a still a cluster of one");
        assertTrue(NodeProcess.cleanExit(a.stop()), "a stops cleanly");
    }
}
