package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.cli.WarrenCtl;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs on one machine (shared node registry and cookie) with the same classic_config
 * list, started in parallel, must form ONE cluster: the race this guards is two nodes each forming
 * a cluster because neither saw the other yet. The boot is repeated
 * {@code -Dwarren.formation.rounds} times (default 3) with fresh nodes, since a race shows only
 * sometimes.
 */
class ClassicConfigFormationIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_MS = 30_000;
    private static final int ROUNDS = Integer.getInteger("warren.formation.rounds", 3);

    @TempDir
    Path root;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final ExecutorService starter = Executors.newFixedThreadPool(3);

    @AfterEach
    void stopAll() throws InterruptedException {
        nodes.forEach(NodeProcess::close);
        starter.shutdownNow();
        starter.awaitTermination(30, TimeUnit.SECONDS);
    }

    @Test
    void threeBlankNodesBootedInParallelFormOneCluster() throws Exception {
        long began = System.nanoTime();
        for (int round = 1; round <= ROUNDS; round++) {
            bootRound(round);
        }
        System.out.printf("ClassicConfigFormationIT: %d rounds in %.1f s%n", ROUNDS,
                (System.nanoTime() - began) / 1e9);
    }

    @Test
    void aNonSeedWhoseSeedNeverStartsFailsNamingTheSeedAndTheKey() throws Exception {
        Path cookie = root.resolve("cookie");
        Files.writeString(cookie, "CLASSICCONFIGFORMATIONITCOOKIE");
        Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        NodeProcess n = new NodeProcess(root.resolve("lonely")).sharing(root.resolve("run"), cookie);
        nodes.add(n);
        // "a" sorts before every "persist..." name, so the absent node is the seed
        String seed = "a@" + n.nodeName().substring(n.nodeName().indexOf('@') + 1);
        n.config("cluster_formation.peer_discovery_backend = classic_config\n"
                + "cluster_formation.classic_config.nodes.1 = " + seed + "\n"
                + "cluster_formation.classic_config.nodes.2 = " + n.nodeName() + "\n"
                + "cluster_formation.discovery_retry_limit = 3\n"
                + "cluster_formation.discovery_retry_interval = 100\n");
        int code = n.startExpectingExit(Duration.ofSeconds(90));
        String logs = n.allLogs();
        assertTrue(code != 0, "exit code " + code);
        assertTrue(logs.contains("could not join the cluster of seed node " + seed), logs);
        assertTrue(logs.contains("cluster_formation.discovery_retry_limit"), logs);
        assertFalse(logs.contains("formed a new cluster"), "a non-seed must never form a cluster:\n" + logs);
    }

    void bootRound(int round) throws Exception {
        Path dir = root.resolve("round-" + round);
        Files.createDirectories(dir);
        Path cookie = dir.resolve("cookie");
        Files.writeString(cookie, "CLASSICCONFIGFORMATIONITCOOKIE");
        Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        List<NodeProcess> round3 = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            NodeProcess n = new NodeProcess(dir.resolve(name)).sharing(dir.resolve("run"), cookie);
            nodes.add(n);
            round3.add(n);
        }
        StringBuilder conf = new StringBuilder("cluster_formation.peer_discovery_backend = classic_config\n")
                .append("cluster_formation.discovery_retry_limit = 120\n")
                .append("cluster_formation.discovery_retry_interval = 250\n");
        for (int i = 0; i < round3.size(); i++) {
            conf.append("cluster_formation.classic_config.nodes.").append(i + 1).append(" = ")
                    .append(round3.get(i).nodeName()).append('\n');
        }
        Set<String> all = new TreeSet<>();
        long t0 = System.nanoTime();
        List<Future<NodeProcess>> started = new ArrayList<>();
        for (NodeProcess n : round3) {
            n.config(conf.toString());
            all.add(n.nodeName());
            started.add(starter.submit(() -> n.start()));
        }
        for (Future<NodeProcess> f : started) {
            f.get(180, TimeUnit.SECONDS);
        }
        long t1 = System.nanoTime();
        String seed = all.iterator().next();
        await("round " + round + ": one cluster of " + all + " seen from every node", () -> {
            for (NodeProcess n : round3) {
                if (!statusMatches(n, all)) {
                    return false;
                }
            }
            return true;
        }, round3);
        JsonNode first = status(round3.get(0));
        assertEquals(seed, first.get("cluster_name").asText(), "the cluster is named after the seed");
        for (NodeProcess n : round3) {
            JsonNode s = status(n);
            assertEquals(first.get("cluster_name"), s.get("cluster_name"), n.nodeName());
            assertEquals(first.get("cluster_id"), s.get("cluster_id"), n.nodeName());
        }
        long t2 = System.nanoTime();
        for (NodeProcess n : round3) {
            n.stop();
        }
        System.out.printf("round %d: all started in %.1f s, one cluster seen after %.1f s more, stopped in %.1f s%n",
                round, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9);
    }

    private static JsonNode status(NodeProcess node) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] argv = {"-n", node.nodeName(), "cluster_status", "--formatter", "json"};
        int code = WarrenCtl.run(argv, node.ctlEnv(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, "cluster_status on " + node.nodeName() + ": " + err.toString(StandardCharsets.UTF_8));
        return JSON.readTree(out.toString(StandardCharsets.UTF_8));
    }

    private static Set<String> names(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static boolean statusMatches(NodeProcess node, Set<String> all) {
        try {
            JsonNode s = status(node);
            return names(s.get("disk_nodes")).equals(all) && names(s.get("running_nodes")).equals(all);
        } catch (IOException | AssertionError e) {
            return false;
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void await(String what, Check condition, List<NodeProcess> round) throws Exception {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (condition.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        StringBuilder detail = new StringBuilder();
        for (NodeProcess n : round) {
            detail.append("\n--- ").append(n.nodeName()).append(" log tail:\n").append(NodeProcess.tail(n.logFile(), 30));
        }
        throw new AssertionError("timed out after " + WAIT_MS + " ms waiting for " + what + detail);
    }
}
