package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static warren.server.cluster.ClusterCtl.ok;
import static warren.server.cluster.ClusterCtl.statusMatches;

import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * A whole 3-node cluster stopped one node at a time, with definitions created and deleted between
 * the stops, comes back in every one of the 6 start orders with every change and no operator
 * action: the node that stopped last starts at once, the others wait for it (or for each other)
 * and the states merge record by record. Then the same after all three are killed at once.
 */
class RestartOrderIT extends ClusterNodes {
    private static final long WAIT_MS = 60_000;
    private static final String WAITING = "waiting up to";


    private NodeProcess node(String name) throws Exception {
        return ClusterCtl.startNode(root, nodes, name, "RESTARTORDERITCOOKIE",
                "mnesia_table_loading_retry_timeout = 5000\nmnesia_table_loading_retry_limit = 12\n");
    }

    @Test
    void everyStartOrderComesBackWithEveryChange() throws Exception {
        NodeProcess a = node("a");
        NodeProcess b = node("b");
        NodeProcess c = node("c");
        for (NodeProcess joiner : List.of(b, c)) {
            ok(joiner, "stop_app");
            ok(joiner, "join_cluster", a.nodeName());
            ok(joiner, "start_app");
        }
        Set<String> all = new TreeSet<>(List.of(a.nodeName(), b.nodeName(), c.nodeName()));
        await("a cluster of three", () -> statusMatches(a, all, all) && statusMatches(c, all, all));

        List<List<NodeProcess>> orders = List.of(List.of(a, b, c), List.of(a, c, b), List.of(b, a, c),
                List.of(b, c, a), List.of(c, a, b), List.of(c, b, a));
        for (int round = 0; round < orders.size(); round++) {
            String r = "r" + round + "-";
            // stops in the order a, b, c with changes between them; c sees everything
            ClusterCtl.declareQueue(a, r + "a");
            ClusterCtl.declareQueue(a, r + "gone-before-stops");
            delete(b, r + "gone-before-stops");
            stopAndAwait(a, b, all);
            ClusterCtl.declareQueue(b, r + "b");
            stopAndAwait(b, c, all);
            ClusterCtl.declareQueue(c, r + "c");
            delete(c, r + "a"); // a, down, still has it: it must not come back
            c.stop();

            List<NodeProcess> order = orders.get(round);
            for (NodeProcess n : order) {
                startAndSettle(n);
            }
            for (NodeProcess n : order) {
                n.awaitReady(Duration.ofMillis(WAIT_MS));
            }
            String label = "start order " + order.stream().map(NodeProcess::nodeName).toList();
            for (NodeProcess n : List.of(a, b, c)) {
                await(label + ": all running, seen from " + n.nodeName(), () -> statusMatches(n, all, all));
                await(label + ": definitions on " + n.nodeName(), () -> ClusterCtl.queueExists(n, r + "b") && ClusterCtl.queueExists(n, r + "c")
                        && !ClusterCtl.queueExists(n, r + "a") && !ClusterCtl.queueExists(n, r + "gone-before-stops"));
                for (int earlier = 0; earlier < round; earlier++) {
                    assertTrue(ClusterCtl.queueExists(n, "r" + earlier + "-c") && !ClusterCtl.queueExists(n, "r" + earlier + "-a"),
                            label + ": " + n.nodeName() + " kept round " + earlier);
                }
            }
        }

        // a power cut: all three killed at once, each saw the other two running; started in any order
        ClusterCtl.declareQueue(b, "before-power-cut");
        for (NodeProcess n : List.of(a, b, c)) {
            n.kill9();
        }
        for (NodeProcess n : List.of(b, c, a)) {
            startAndSettle(n);
        }
        for (NodeProcess n : List.of(a, b, c)) {
            n.awaitReady(Duration.ofMillis(WAIT_MS));
            await("after the power cut, all running on " + n.nodeName(), () -> statusMatches(n, all, all)
                    && ClusterCtl.queueExists(n, "before-power-cut"));
        }
    }

    /** Launches a stopped node and waits until it either runs or says it waits for its peers. */
    private static void startAndSettle(NodeProcess n) throws Exception {
        long waitingBefore = count(n.logFile(), WAITING);
        n.startInBackground();
        await(n.nodeName() + " running or waiting for peers", () -> accepts(n)
                || count(n.logFile(), WAITING) > waitingBefore);
    }

    private static void stopAndAwait(NodeProcess stopping, NodeProcess observer, Set<String> all) throws Exception {
        stopping.stop();
        await(stopping.nodeName() + " seen stopped by " + observer.nodeName(), () -> {
            try {
                return !ClusterCtl.status(observer).get("running_nodes").toString().contains(stopping.nodeName());
            } catch (IOException | AssertionError e) {
                return false;
            }
        });
    }

    private static boolean accepts(NodeProcess n) {
        try (Connection c = n.connect()) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static long count(Path log, String text) {
        try {
            return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).count() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void delete(NodeProcess n, String queue) throws Exception {
        try (Connection c = n.connect()) {
            c.createChannel().queueDelete(queue);
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        ClusterCtl.await(what, WAIT_MS, condition);
    }
}
