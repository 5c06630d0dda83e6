package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.cli.WarrenCtl;
import warren.server.process.NodeProcess;

/**
 * Two node processes on one machine (own ports, data and log dirs; one node registry and one
 * cookie), clustered with warrenctl as in the seeds' transcript: stop_app, join_cluster, start_app;
 * then cluster_status on both, a definition made on one seen on the other, the app preconditions
 * and exit codes, and a stopped member catching up when it starts again.
 */
class ClusterLifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_MS = 20_000;

    @TempDir
    Path root;
    private final List<NodeProcess> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        nodes.forEach(NodeProcess::close);
    }

    private record Ctl(int code, String out, String err) {
    }

    private NodeProcess node(String name) throws Exception {
        Path cookie = root.resolve("cookie");
        if (!Files.exists(cookie)) {
            Files.writeString(cookie, "CLUSTERLIFECYCLEITCOOKIE");
            Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        }
        NodeProcess n = new NodeProcess(root.resolve(name)).sharing(root.resolve("run"), cookie);
        nodes.add(n);
        return n.start();
    }

    private static Ctl ctl(NodeProcess node, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>(List.of("-n", node.nodeName()));
        argv.addAll(List.of(args));
        int code = WarrenCtl.run(argv.toArray(new String[0]), node.ctlEnv(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Ctl(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void ok(NodeProcess node, String... args) {
        Ctl r = ctl(node, args);
        assertEquals(0, r.code(), "warrenctl " + String.join(" ", args) + " on " + node.nodeName() + ": " + r.err()
                + r.out() + "\nnode log tail:\n" + NodeProcess.tail(node.logFile(), 40));
    }

    private static JsonNode status(NodeProcess node) throws IOException {
        Ctl r = ctl(node, "cluster_status", "--formatter", "json");
        assertEquals(0, r.code(), "cluster_status on " + node.nodeName() + ": " + r.err());
        return JSON.readTree(r.out());
    }

    private static Set<String> names(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.onSpinWait();
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what);
    }

    private static boolean statusMatches(NodeProcess node, Set<String> disk, Set<String> running) {
        try {
            JsonNode s = status(node);
            return names(s.get("disk_nodes")).equals(disk) && names(s.get("running_nodes")).equals(running);
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    private static boolean exchangeExists(NodeProcess node, String exchange) {
        try (Connection c = node.connect()) {
            Channel ch = c.createChannel();
            ch.exchangeDeclarePassive(exchange);
            return true;
        } catch (Exception e) {
            return false;
        }
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

        Ctl running = ctl(b, "join_cluster", a.nodeName());
        assertEquals(64, running.code(), running.err());
        assertTrue(running.err().contains("this command requires the 'warren' app to be stopped on the target node. "
                + "Stop it with 'warrenctl stop_app'."), running.err());

        ok(b, "stop_app");
        Ctl stopped = ctl(b, "cluster_status");
        assertEquals(64, stopped.code(), stopped.err());
        assertTrue(stopped.err().contains("this command requires the 'warren' app to be running on the target node. "
                + "Start it with 'warrenctl start_app'."), stopped.err());
        Ctl self = ctl(b, "join_cluster", b.nodeName());
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
        Ctl queues = ctl(b, "list_queues", "name", "node");
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
