package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import warren.server.process.NodeProcess;

/**
 * What the cluster tests share: starting node processes that share one registry and one cookie,
 * running warrenctl against them in-process, reading cluster_status, bounded waits.
 */
final class ClusterCtl {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
    }

    private ClusterCtl() {
    }

    /** Starts node {@code name} under {@code root}, sharing the run dir and cookie with its siblings. */
    static NodeProcess startNode(Path root, List<NodeProcess> started, String name, String cookieValue)
            throws Exception {
        return startNode(root, started, name, cookieValue, "");
    }

    /** As above, with extra config file lines. */
    static NodeProcess startNode(Path root, List<NodeProcess> started, String name, String cookieValue,
                                 String config) throws Exception {
        Path cookie = root.resolve("cookie");
        if (!Files.exists(cookie)) {
            Files.writeString(cookie, cookieValue);
            Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        }
        NodeProcess n = new NodeProcess(root.resolve(name)).sharing(root.resolve("run"), cookie).config(config);
        started.add(n);
        return n.start();
    }

    /**
     * Starts nodes named {@code names} (disc nodes), joins every other one to the first with
     * warrenctl as the clustering guide does, and waits until the first lists them all running.
     */
    static List<NodeProcess> cluster(Path root, List<NodeProcess> started, String cookieValue, String... names)
            throws Exception {
        List<NodeProcess> out = new ArrayList<>();
        for (String name : names) {
            out.add(startNode(root, started, name, cookieValue));
        }
        NodeProcess first = out.get(0);
        for (NodeProcess n : out.subList(1, out.size())) {
            ok(n, "stop_app");
            ok(n, "join_cluster", first.nodeName());
            ok(n, "start_app");
        }
        Set<String> all = new TreeSet<>();
        out.forEach(n -> all.add(n.nodeName()));
        await("all " + names.length + " running", 60_000, () -> statusMatches(first, all, all));
        return out;
    }

    static Result ctl(NodeProcess node, String... args) {
        NodeProcess.CtlResult r = node.warrenctl(args);
        return new Result(r.code(), r.out(), r.err());
    }

    static void ok(NodeProcess node, String... args) {
        Result r = ctl(node, args);
        assertEquals(0, r.code(), "warrenctl " + String.join(" ", args) + " on " + node.nodeName() + ": " + r.err()
                + r.out() + "\nnode log tail:\n" + NodeProcess.tail(node.logFile(), 40));
    }

    /** {@code warrenctl ARGS --formatter json} on {@code node}, which must exit 0; its output parsed. */
    static JsonNode json(NodeProcess node, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--formatter", "json"));
        Result r = ctl(node, argv.toArray(new String[0]));
        assertEquals(0, r.code(), String.join(" ", args) + " on " + node.nodeName() + ": " + r.err());
        return JSON.readTree(r.out());
    }

    static JsonNode status(NodeProcess node) throws IOException {
        return json(node, "cluster_status");
    }

    static Set<String> names(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static boolean statusMatches(NodeProcess node, Set<String> disk, Set<String> running) {
        return statusMatches(node, disk, null, running);
    }

    /** Whether cluster_status on {@code node} lists exactly these disk, RAM (null: not checked) and running nodes. */
    static boolean statusMatches(NodeProcess node, Set<String> disk, Set<String> ram, Set<String> running) {
        try {
            JsonNode s = status(node);
            return names(s.get("disk_nodes")).equals(disk) && (ram == null || names(s.path("ram_nodes")).equals(ram))
                    && names(s.get("running_nodes")).equals(running);
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    static void await(String what, long waitMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + waitMs + " ms waiting for " + what);
    }

    /** Declares a durable queue through {@code node}. */
    static void declareQueue(NodeProcess node, String queue) throws Exception {
        try (com.rabbitmq.client.Connection c = node.connect()) {
            c.createChannel().queueDeclare(queue, true, false, false, null);
        }
    }

    /** Whether {@code node} knows the queue (a passive declare succeeds). */
    static boolean queueExists(NodeProcess node, String queue) {
        try (com.rabbitmq.client.Connection c = node.connect()) {
            c.createChannel().queueDeclarePassive(queue);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Whether the node's log file holds {@code text}. */
    static boolean logged(NodeProcess node, String text) {
        try {
            return Files.exists(node.logFile()) && Files.readString(node.logFile()).contains(text);
        } catch (IOException e) {
            return false;
        }
    }
}
