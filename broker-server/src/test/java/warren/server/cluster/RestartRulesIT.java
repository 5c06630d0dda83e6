package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static warren.server.cluster.ClusterCtl.ok;
import static warren.server.cluster.ClusterCtl.statusMatches;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * The restart rules an operator meets: a node that stopped before its peers waits for them, and
 * {@code warrenctl force_boot} lets it start without them; a RAM node refuses to start without a
 * running disc node, saying so; a node whose wait runs out says whom it waited for.
 */
class RestartRulesIT extends ClusterNodes {
    private static final long WAIT_MS = 60_000;
    private static final String COOKIE = "RESTARTRULESITCOOKIE";


    private NodeProcess node(String name, String config) throws Exception {
        return ClusterCtl.startNode(root, nodes, name, COOKIE, config);
    }

    private static void join(NodeProcess joiner, NodeProcess target, boolean ram) {
        ok(joiner, "stop_app");
        if (ram) {
            ok(joiner, "join_cluster", "--ram", target.nodeName());
        } else {
            ok(joiner, "join_cluster", target.nodeName());
        }
        ok(joiner, "start_app");
    }

    @Test
    void aNodeThatStoppedFirstWaitsUntilForceBootThenTheLastOneMergesIntoIt() throws Exception {
        NodeProcess a = node("a", "");
        NodeProcess b = node("b", "mnesia_table_loading_retry_timeout = 60000\n");
        join(b, a, false);
        Set<String> both = new TreeSet<>(List.of(a.nodeName(), b.nodeName()));
        ClusterCtl.await("two running", WAIT_MS, () -> statusMatches(a, both, both));
        b.stop();
        ClusterCtl.declareQueue(a, "made-after-b-stopped");
        a.stop();

        b.startInBackground();
        ClusterCtl.await("b waiting for a", WAIT_MS, () -> ClusterCtl.logged(b, "waiting up to 60000 ms for a running peer or all "
                + "of [" + a.nodeName() + "]"));
        assertNotEquals(0, ClusterCtl.ctl(b, "cluster_status").code(), "a waiting node's app does not run yet");
        // await_startup keeps waiting (rabbitmqctl's timeout, 75) and says whom the node waits for
        ClusterCtl.Result waiting = ClusterCtl.ctl(b, "-t", "2", "await_startup");
        assertEquals(75, waiting.code(), waiting.err());
        assertTrue(waiting.err().startsWith("Error: operation await_startup on node " + b.nodeName() + " timed out. "
                + "Timeout value used: 2000\nthe node is waiting for the cluster peers it saw running when it stopped: ["
                + a.nodeName() + "]"), waiting.err());
        ClusterCtl.Result forced = ClusterCtl.ctl(b, "force_boot");
        assertEquals(0, forced.code(), forced.err());
        assertTrue(forced.out().contains("Forcing boot for node " + b.nodeName()), forced.out());
        b.awaitReady(Duration.ofMillis(WAIT_MS));
        assertTrue(ClusterCtl.logged(b, "is forced to boot (warrenctl force_boot) without"), "force_boot logs what may be missing");
        ClusterCtl.declareQueue(b, "made-while-a-was-down");

        a.start(); // it stopped last: starts at once, and the two merge
        for (NodeProcess n : List.of(a, b)) {
            ClusterCtl.await("merged on " + n.nodeName(), WAIT_MS, () -> statusMatches(n, both, both)
                    && ClusterCtl.queueExists(n, "made-after-b-stopped") && ClusterCtl.queueExists(n, "made-while-a-was-down"));
        }
    }

    @Test
    void aRamNodeRefusesToStartWithoutARunningDiscNode() throws Exception {
        NodeProcess disc = node("disc", "");
        NodeProcess ram = node("ram", "mnesia_table_loading_retry_timeout = 1000\nmnesia_table_loading_retry_limit = 2\n");
        join(ram, disc, true);
        ClusterCtl.await("ram listed", WAIT_MS, () -> ClusterCtl.ctl(disc, "cluster_status").out()
                .contains(ram.nodeName()));
        ok(disc, "stop_app");
        ClusterCtl.Result reset = ClusterCtl.ctl(disc, "reset");
        assertEquals(70, reset.code(), reset.err());
        assertTrue(reset.err().contains("cannot reset node " + disc.nodeName() + ": it is the only disc node of its "
                + "cluster and RAM nodes [" + ram.nodeName() + "] would be left without one"), reset.err());
        ok(disc, "start_app");
        ram.stop(); // the RAM node stops first, so the rule is not about stop order
        disc.stop();

        int code = ram.startExpectingExit(Duration.ofSeconds(60));
        assertNotEquals(0, code);
        String console = Files.readString(ram.consoleFile());
        assertTrue(console.contains("node " + ram.nodeName() + " is a RAM node and cannot start without a running disc "
                + "node of its cluster; waited 2 x 1000 ms for one of [" + disc.nodeName() + "]"), console);

        disc.start();
        ram.start();
        Set<String> both = new TreeSet<>(List.of(disc.nodeName(), ram.nodeName()));
        ClusterCtl.await("both running", WAIT_MS, () -> ClusterCtl.ctl(disc, "cluster_status", "--formatter", "json")
                .out().replace(" ", "").contains("\"running_nodes\":[\"" + String.join("\",\"", both) + "\"]"));
    }
}
