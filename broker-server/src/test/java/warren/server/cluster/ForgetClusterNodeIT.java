package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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
 * The seeds' "Breaking up a cluster" transcript with two node processes: B joins A; A refuses to
 * forget B while B runs; B stops its app and A forgets it; B's start_app then fails with
 * inconsistent_cluster; after reset B starts as a cluster of one.
 */
class ForgetClusterNodeIT {
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
            Files.writeString(cookie, "FORGETCLUSTERNODEITCOOKIE");
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

    private static boolean statusMatches(NodeProcess node, Set<String> disk, Set<String> running) {
        try {
            JsonNode s = status(node);
            return names(s.get("disk_nodes")).equals(disk) && names(s.get("running_nodes")).equals(running);
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what);
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

        Ctl running = ctl(a, "forget_cluster_node", b.nodeName());
        assertEquals(69, running.code(), running.err());
        assertTrue(running.err().contains("Node " + b.nodeName() + " must be stopped"), running.err());
        Ctl stranger = ctl(a, "forget_cluster_node", "nobody@nowhere");
        assertEquals(69, stranger.code(), stranger.err());
        assertTrue(stranger.err().contains("The node selected is not in the cluster."), stranger.err());

        ok(b, "stop_app");
        await("b gone from a's running nodes", () -> statusMatches(a, both, onlyA));
        Ctl forget = ctl(a, "forget_cluster_node", b.nodeName());
        assertEquals(0, forget.code(), forget.err() + forget.out());
        assertTrue(forget.out().contains("Removing node " + b.nodeName() + " from the cluster"), forget.out());
        assertEquals(List.of(a.nodeName()), List.copyOf(names(status(a).get("disk_nodes"))));

        Ctl refused = ctl(b, "start_app");
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
