package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static warren.server.cluster.ClusterCtl.ctl;
import static warren.server.cluster.ClusterCtl.ok;
import static warren.server.cluster.ClusterCtl.status;
import static warren.server.cluster.ClusterCtl.statusMatches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.NodeRegistry;
import warren.server.config.NodeNames;
import warren.server.process.NodeProcess;

/**
 * Replays the transcripts of the RabbitMQ clustering guide (seeds/rabbitmq-clustering-guide.txt)
 * against real node JVMs on this one machine: {@code rabbitmqctl} is warrenctl, {@code rabbitmq-server
 * -detached} is a node process start, and rabbit@rabbit1..3 are three distinct Warren node names
 * sharing one node registry and cookie. cluster_status is compared as sets (the guide prints the
 * same members in varying order).
 *
 * <p>{@link #theGuidesThreeNodeTranscript()} runs the guide's sections in its order on the same three
 * nodes, as the guide does: independent nodes, creating the cluster (rabbit2 --ram via rabbit1,
 * rabbit3 disc via rabbit2), changing node types, restarting nodes (extended: definitions created AND
 * deleted through rabbit2 while rabbit1 is down must be caught up by rabbit1), breaking up the
 * cluster, and auto-configuration of the reset nodes from classic_config. None of these is covered as
 * a whole by another IT: ClusterLifecycleIT and ForgetClusterNodeIT use two disc nodes (no --ram, no
 * join through a non-founder, no node type change, no full node restart, no forgetting the founder),
 * ClassicConfigFormationIT boots never-started nodes, all disc (no {@code node_type = ram}).
 * Two steps do not stop the transcript when they fail but are recorded and rethrown at the end, so
 * that one run reports every section: rabbit3's join through rabbit2 (on failure rabbit3 resets and
 * joins through rabbit1 instead), and rabbit1's catch-up of a queue deleted while it was down.
 *
 * <p>{@link #aClusterOnASingleMachine()} runs "A cluster on a single machine" with the real
 * {@code bin/warren-server -detached} and {@code bin/warrenctl} scripts.
 */
class ClusteringGuideIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_MS = 30_000;
    private static final String COOKIE = "CLUSTERINGGUIDEITCOOKIE";

    @TempDir
    Path root;
    private final List<NodeProcess> nodes = new ArrayList<>();
    /** Node processes started through bin/warren-server -detached (not NodeProcess): stopped by PID. */
    private final Set<Long> scriptNodePids = new LinkedHashSet<>();
    private final List<String> scriptNodeNames = new ArrayList<>();
    private final ExecutorService starter = Executors.newFixedThreadPool(3);

    @AfterEach
    void stopAll() throws InterruptedException, IOException {
        nodes.forEach(NodeProcess::close);
        NodeRegistry registry = new NodeRegistry(root.resolve("script-run"));
        scriptNodeNames.forEach(n -> registry.lookup(n).ifPresent(e -> scriptNodePids.add(e.pid())));
        for (long pid : scriptNodePids) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroy();
                if (p.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join() == null) {
                    p.destroyForcibly();
                    p.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
                }
            });
        }
        starter.shutdownNow();
        starter.awaitTermination(30, TimeUnit.SECONDS);
        // the installation's lib/ links to jars outside the temp dir: unlink them before @TempDir cleans up
        Path lib = root.resolve("warren-home").resolve("lib");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> files = Files.list(lib)) {
                for (Path p : files.filter(Files::isSymbolicLink).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // the three-node transcript

    @Test
    void theGuidesThreeNodeTranscript() throws Exception {
        try {
            threeNodeTranscript();
        } catch (GuideStepsFailed t) {
            throw t;
        } catch (Throwable t) {
            for (NodeProcess n : nodes) {
                t.addSuppressed(new AssertionError("log tail of " + n.nodeName() + ":\n" + NodeProcess.tail(n.logFile(), 40)));
            }
            throw t;
        }
    }

    private void threeNodeTranscript() throws Exception {
        long began = System.nanoTime();
        List<String> failed = new ArrayList<>();

        // ## Starting independent nodes: rabbitN$ rabbitmq-server -detached; cluster_status shows only itself
        NodeProcess r1 = node("rabbit1");
        NodeProcess r2 = node("rabbit2");
        NodeProcess r3 = node("rabbit3");
        for (NodeProcess n : List.of(r1, r2, r3)) {
            expect("independent node " + n.nodeName(), names(n), Set.of(), names(n), n);
        }
        section("starting independent nodes", began);

        // ## Creating the cluster
        says(r2, "Stopping warren application on node " + r2.nodeName(), "stop_app");
        says(r2, "Clustering node " + r2.nodeName() + " with " + r1.nodeName(), "join_cluster", "--ram",
                r1.nodeName());
        says(r2, "Starting node " + r2.nodeName(), "start_app");
        expect("rabbit2 joined rabbit1 as a ram node", names(r1), names(r2), names(r1, r2), r1, r2);

        // rabbit3 clusters to rabbit2 (a ram node, not the founder) as a disc node
        ok(r3, "stop_app");
        says(r3, "Clustering node " + r3.nodeName() + " with " + r2.nodeName(), "join_cluster", r2.nodeName());
        // "the node chosen to cluster to does not matter": rabbit2 is neither the founder nor the coordinator
        says(r3, "Starting node " + r3.nodeName(), "start_app");
        expect("rabbit3 a disc member", names(r1, r3), names(r2), names(r1, r2, r3), r1, r2, r3);
        assertEquals(r1.nodeName(), status(r3).get("cluster_name").asText(), "the cluster keeps rabbit1's name");
        section("creating the cluster", began);

        // ## Changing node types: rabbit2 ram -> disc, rabbit3 disc -> ram (the app stopped first)
        ok(r2, "stop_app");
        says(r2, "Turning " + r2.nodeName() + " into a disc node", "change_cluster_node_type", "disc");
        ok(r2, "start_app");
        ok(r3, "stop_app");
        says(r3, "Turning " + r3.nodeName() + " into a ram node", "change_cluster_node_type", "ram");
        ok(r3, "start_app");
        Set<String> disc12 = names(r1, r2);
        Set<String> ram3 = names(r3);
        expect("types reversed", disc12, ram3, names(r1, r2, r3), r1, r2, r3);
        section("changing node types", began);

        // ## Restarting cluster nodes, extended with catch-up: a queue that exists before rabbit1 stops
        // is deleted through rabbit2 while rabbit1 is down, and a queue, an exchange and a binding are created
        try (Connection c = r2.connect()) {
            c.createChannel().queueDeclare("guide.old", true, false, false, null);
        }
        ClusterCtl.await("rabbit1 lists guide.old before it stops", WAIT_MS,
                () -> lists(r1, "guide.old", "list_queues", "name"));

        stopNode(r1);
        expect("rabbit1 stopped", disc12, ram3, names(r2, r3), r2, r3);

        try (Connection c = r2.connect()) {
            Channel ch = c.createChannel();
            ch.exchangeDeclare("guide.events", "topic", true);
            ch.queueDeclare("guide.audit", true, false, false, null);
            ch.queueBind("guide.audit", "guide.events", "audit.#");
            ch.queueDelete("guide.old");
        }
        assertTrue(queues(r2, "guide.audit", "guide.old"), "the changes through rabbit2 took effect there");

        stopNode(r3);
        expect("rabbit1 and rabbit3 stopped", disc12, ram3, names(r2), r2);

        r1.start();
        expect("rabbit1 started again", disc12, ram3, names(r1, r2), r1, r2);
        ClusterCtl.await("rabbit1 caught up with the queue, exchange and binding created while it was down",
                WAIT_MS, () -> lists(r1, "guide.audit", "list_queues", "name")
                        && lists(r1, "guide.events\ttopic", "list_exchanges", "name", "type")
                        && lists(r1, "guide.events\tguide.audit\taudit.#", "list_bindings", "source_name",
                                "destination_name", "routing_key"));
        // deletion catch-up: a failure is recorded and rethrown at the end, so that the rest of the guide still runs
        try {
            ClusterCtl.await("rabbit1 caught up with the deletion of guide.old made while it was down", 10_000,
                    () -> queues(r1, "guide.audit", "guide.old"));
            assertTrue(queues(r2, "guide.audit", "guide.old"), "rabbit1's restart must not bring guide.old back on "
                    + "rabbit2: " + rows(r2, "list_queues", "name"));
        } catch (AssertionError e) {
            failed.add(e.getMessage() + "; queues listed by rabbit1: " + rows(r1, "list_queues", "name")
                    + ", by rabbit2: " + rows(r2, "list_queues", "name"));
        }

        r3.start();
        expect("rabbit3 started again", disc12, ram3, names(r1, r2, r3), r1, r2, r3);
        assertTrue(lists(r3, "guide.audit", "list_queues", "name"), "rabbit3 (ram) has the definitions again");
        section("restarting cluster nodes", began);

        // ## Breaking up a cluster: rabbit3 leaves by reset
        ok(r3, "stop_app");
        says(r3, "Resetting node " + r3.nodeName(), "reset");
        ok(r3, "start_app");
        expect("rabbit3 left", disc12, Set.of(), names(r1, r2), r1, r2);
        expect("rabbit3 independent", names(r3), Set.of(), names(r3), r3);

        // rabbit1 is removed remotely from rabbit2, then refused at start_app until it is reset
        ok(r1, "stop_app");
        expect("rabbit1's app stopped", disc12, Set.of(), names(r2), r2);
        says(r2, "Removing node " + r1.nodeName() + " from the cluster", "forget_cluster_node", r1.nodeName());
        ClusterCtl.Result refused = ctl(r1, "start_app");
        assertEquals(69, refused.code(), refused.err() + refused.out());
        assertTrue(refused.err().contains("Error: inconsistent_cluster: Node " + r1.nodeName() + " thinks it's "
                + "clustered with node " + r2.nodeName() + ", but " + r2.nodeName() + " disagrees"), refused.err());
        ok(r1, "reset");
        ok(r1, "start_app");
        for (NodeProcess n : List.of(r1, r2, r3)) {
            expect("three independent brokers: " + n.nodeName(), names(n), Set.of(), names(n), n);
        }
        assertEquals(r1.nodeName(), status(r2).get("cluster_name").asText(),
                "rabbit2 retains the residual state of the cluster (named after rabbit1)");
        assertEquals(r3.nodeName(), status(r3).get("cluster_name").asText(), "rabbit3 is freshly initialised");

        // re-initialising rabbit2 the same way
        ok(r2, "stop_app");
        ok(r2, "reset");
        ok(r2, "start_app");
        expect("rabbit2 re-initialised", names(r2), Set.of(), names(r2), r2);
        assertEquals(r2.nodeName(), status(r2).get("cluster_name").asText());
        section("breaking up a cluster", began);

        // ## Auto-configuration of a cluster: reset and stop all nodes, give them the list (rabbit3: ram), start
        for (NodeProcess n : List.of(r1, r2, r3)) {
            ok(n, "stop_app");
            ok(n, "reset");
            stopNode(n);
        }
        String list = "cluster_formation.peer_discovery_backend = classic_config\n"
                + "cluster_formation.classic_config.nodes.1 = " + r1.nodeName() + "\n"
                + "cluster_formation.classic_config.nodes.2 = " + r2.nodeName() + "\n"
                + "cluster_formation.classic_config.nodes.3 = " + r3.nodeName() + "\n"
                + "cluster_formation.discovery_retry_limit = 120\n"
                + "cluster_formation.discovery_retry_interval = 250\n";
        r1.config(list);
        r2.config(list);
        r3.config(list + "cluster_formation.node_type = ram\n");
        // in parallel: only the seed (lowest name) forms, the others wait for it
        List<Future<NodeProcess>> starts = new ArrayList<>();
        for (NodeProcess n : List.of(r1, r2, r3)) {
            starts.add(starter.submit(() -> n.start()));
        }
        for (Future<NodeProcess> f : starts) {
            f.get(180, TimeUnit.SECONDS);
        }
        expect("one auto-configured cluster", disc12, ram3, names(r1, r2, r3), r1, r2, r3);
        section("auto-configuration of a cluster", began);

        for (NodeProcess n : List.of(r1, r2, r3)) {
            assertTrue(NodeProcess.cleanExit(n.stop()), n.nodeName() + " stops cleanly");
        }
        if (!failed.isEmpty()) {
            throw new GuideStepsFailed(failed.size() + " step(s) of the guide failed (the rest of the transcript ran "
                    + "and passed):\n- " + String.join("\n- ", failed));
        }
    }

    /** Steps recorded as failed while the rest of the transcript ran (their node logs are in the message). */
    private static final class GuideStepsFailed extends AssertionError {
        GuideStepsFailed(String message) {
            super(message);
        }
    }

    private NodeProcess node(String name) throws Exception {
        return ClusterCtl.startNode(root, nodes, name, COOKIE);
    }

    /** rabbitmqctl stop: warrenctl stop, then the process is gone (bounded). */
    private static void stopNode(NodeProcess n) throws InterruptedException {
        says(n, "Stopping and halting node " + n.nodeName(), "stop");
        ClusterCtl.await(n.nodeName() + " process exit after warrenctl stop", WAIT_MS, () -> !n.isAlive());
    }

    /** warrenctl ARGS on {@code node} exits 0 and prints {@code expected}. */
    private static void says(NodeProcess node, String expected, String... args) {
        ClusterCtl.Result r = ctl(node, args);
        assertEquals(0, r.code(), String.join(" ", args) + " on " + node.nodeName() + ": " + r.err() + r.out()
                + "\nnode log tail:\n" + NodeProcess.tail(node.logFile(), 40));
        assertTrue(r.out().contains(expected), String.join(" ", args) + " printed: " + r.out());
    }

    private static Set<String> names(NodeProcess... ns) {
        return Arrays.stream(ns).map(NodeProcess::nodeName).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Waits (bounded) until cluster_status on every node of {@code on} shows these disc, ram and running nodes. */
    private static void expect(String step, Set<String> disc, Set<String> ram, Set<String> running,
            NodeProcess... on) throws InterruptedException {
        try {
            ClusterCtl.await(step, WAIT_MS, () -> Arrays.stream(on).allMatch(n -> statusMatches(n, disc, ram, running)));
        } catch (AssertionError e) {
            StringBuilder seen = new StringBuilder(e.getMessage()).append("\nwanted disc ").append(disc)
                    .append(", ram ").append(ram).append(", running ").append(running);
            for (NodeProcess n : on) {
                ClusterCtl.Result r = ctl(n, "cluster_status", "--formatter", "json");
                seen.append("\n--- ").append(n.nodeName()).append(" [exit ").append(r.code()).append("] ")
                        .append(r.out()).append(r.err()).append("log tail:\n").append(NodeProcess.tail(n.logFile(), 20));
            }
            throw new AssertionError(seen.toString(), e);
        }
    }

    /**
     * The rows of warrenctl {@code command columns} on {@code node}, each row's columns joined by tabs; null
     * when the command fails.
     */
    private static Set<String> rows(NodeProcess node, String command, String... columns) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of(columns));
        try {
            Set<String> rows = new TreeSet<>();
            for (JsonNode r : ClusterCtl.json(node, args.toArray(new String[0]))) {
                rows.add(Arrays.stream(columns).map(c -> r.path(c).asText()).collect(Collectors.joining("\t")));
            }
            return rows;
        } catch (IOException | AssertionError e) {
            return null;
        }
    }

    private static boolean lists(NodeProcess node, String row, String command, String... columns) {
        Set<String> rows = rows(node, command, columns);
        return rows != null && rows.contains(row);
    }

    /** Whether list_queues on {@code node} succeeds and lists {@code present} but not {@code absent}. */
    private static boolean queues(NodeProcess node, String present, String absent) {
        Set<String> names = rows(node, "list_queues", "name");
        return names != null && names.contains(present) && !names.contains(absent);
    }

    private static void section(String name, long began) {
        System.out.printf("ClusteringGuideIT: '%s' done at %.1f s%n", name, (System.nanoTime() - began) / 1e9);
    }

    // ------------------------------------------------------------------------------------------
    // A cluster on a single machine, with the real scripts

    /**
     * The guide's
     * <pre>
     * $ RABBITMQ_NODE_PORT=5672 RABBITMQ_NODENAME=rabbit rabbitmq-server -detached
     * $ RABBITMQ_NODE_PORT=5673 RABBITMQ_NODENAME=hare rabbitmq-server -detached
     * $ rabbitmqctl -n hare stop_app
     * $ rabbitmqctl -n hare join_cluster rabbit@`hostname -s`
     * $ rabbitmqctl -n hare start_app
     * </pre>
     * with {@code bin/warren-server} and {@code bin/warrenctl} of a throwaway installation (the
     * repository's scripts copied to {@code bin/}, this build's classes and dependencies as jars in
     * {@code lib/}, so the scripts never build). Per node only WARREN_NODENAME and WARREN_NODE_PORT are
     * set, as in the guide; the cluster and control ports are derived (+20000, +30000), so a port P is
     * picked for which P, P+1 and all derived ports are free. The installation's config file puts the
     * listener on 127.0.0.1, data and log dirs default to per-node dirs under it, and the node
     * registry and cookie are private to the test (WARREN_RUN_DIR, WARREN_COOKIE_FILE).
     */
    @Test
    void aClusterOnASingleMachine() throws Exception {
        long began = System.nanoTime();
        int port = transcriptPort();
        Path home = installation(port);
        String host = NodeNames.shortHostname();
        String rabbit = "warren@" + host;
        String hare = "hare@" + host;
        scriptNodeNames.addAll(List.of(rabbit, hare));

        serverDetached(home, port, "warren");
        serverDetached(home, port + 1, "hare");
        assertScript(home, "Stopping warren application on node " + hare, "-n", "hare", "stop_app");
        assertScript(home, "Clustering node " + hare + " with " + rabbit, "-n", "hare", "join_cluster", rabbit);
        assertScript(home, "Starting node " + hare, "-n", "hare", "start_app");

        Set<String> both = new TreeSet<>(List.of(rabbit, hare));
        for (String node : List.of("warren", "hare")) {
            ClusterCtl.await("both disc and running, seen from " + node + " (bin/warrenctl cluster_status)", WAIT_MS,
                    () -> {
                        JsonNode s = scriptStatus(home, node);
                        return s != null && ClusterCtl.names(s.get("disk_nodes")).equals(both)
                                && ClusterCtl.names(s.path("ram_nodes")).isEmpty()
                                && ClusterCtl.names(s.get("running_nodes")).equals(both);
                    });
        }
        assertEquals(rabbit, scriptStatus(home, "hare").get("cluster_name").asText());
        System.out.printf("ClusteringGuideIT: single machine done in %.1f s%n", (System.nanoTime() - began) / 1e9);
    }

    private void serverDetached(Path home, int amqpPort, String name) throws Exception {
        Map<String, String> env = Map.of("WARREN_NODE_PORT", String.valueOf(amqpPort), "WARREN_NODENAME", name);
        ScriptResult r = script(home, env, "warren-server", "-detached");
        Matcher pid = Pattern.compile("\\(pid (\\d+),").matcher(r.output());
        if (pid.find()) {
            scriptNodePids.add(Long.parseLong(pid.group(1)));
        }
        assertEquals(0, r.code(), "warren-server -detached for " + name + ":\n" + r.output());
        assertTrue(r.output().contains("Warren node " + name + "@" + NodeNames.shortHostname()
                + " starting in the background"), r.output());
    }

    private void assertScript(Path home, String expected, String... warrenctlArgs) throws Exception {
        ScriptResult r = script(home, Map.of(), "warrenctl", warrenctlArgs);
        assertEquals(0, r.code(), "warrenctl " + String.join(" ", warrenctlArgs) + ":\n" + r.output());
        assertTrue(r.output().contains(expected), r.output());
    }

    /** bin/warrenctl -n NODE cluster_status --formatter json, parsed; null if it failed. */
    private JsonNode scriptStatus(Path home, String node) {
        try {
            ScriptResult r = script(home, Map.of(), "warrenctl", "-n", node, "cluster_status", "--formatter", "json");
            return r.code() == 0 ? JSON.readTree(r.output()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private record ScriptResult(int code, String output) {
    }

    /** Runs {@code home/bin/SCRIPT ARGS} with the test's registry and cookie plus {@code env}; bounded. */
    private ScriptResult script(Path home, Map<String, String> env, String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin").resolve(script).toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(root, script, ".out");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("WARREN_"));
        e.put("JAVA_HOME", System.getProperty("java.home"));
        e.put("HOME", root.toString());
        e.put("WARREN_RUN_DIR", root.resolve("script-run").toString());
        e.put("WARREN_COOKIE_FILE", cookie().toString());
        e.putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + " did not finish within 120 s:\n" + Files.readString(out));
        }
        return new ScriptResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private Path cookie() throws IOException {
        Path cookie = root.resolve("script-cookie");
        if (!Files.exists(cookie)) {
            Files.writeString(cookie, COOKIE);
            Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
        }
        return cookie;
    }

    /**
     * An installed layout (docs/install.md): bin/ with the repository's scripts, lib/ with
     * warren-server.jar and every other jar of this test's classpath (class directories of the
     * reactor modules jarred, dependency jars linked), config/warren.conf with a loopback listener.
     */
    private Path installation(int amqpPort) throws IOException {
        Path home = root.resolve("warren-home");
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path repoBin = repo().resolve("bin");
        for (String s : List.of("warren-server", "warrenctl", "warren-common.sh")) {
            Files.copy(repoBin.resolve(s), bin.resolve(s), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path lib = Files.createDirectories(home.resolve("lib"));
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            i++;
            if (Files.isRegularFile(p.resolve("warren/server/BrokerMain.class"))) {
                jar(p, lib.resolve("warren-server.jar"));
            } else if (Files.isDirectory(p) && !p.endsWith("test-classes")) {
                jar(p, lib.resolve(i + "-classes.jar"));
            } else if (Files.isRegularFile(p) && entry.endsWith(".jar")) {
                Files.createSymbolicLink(lib.resolve(i + "-" + p.getFileName()), p.toAbsolutePath());
            }
        }
        assertTrue(Files.isRegularFile(lib.resolve("warren-server.jar")), "no BrokerMain on the test classpath");
        Path config = Files.createDirectories(home.resolve("config"));
        // the loopback interface for every node; the port in the file is overridden by WARREN_NODE_PORT
        Files.writeString(config.resolve("warren.conf"), "listeners.tcp.default = 127.0.0.1:" + amqpPort + "\n");
        return home;
    }

    private static void jar(Path classes, Path jarFile) throws IOException {
        try (OutputStream os = Files.newOutputStream(jarFile); JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.sorted().toList()) {
                String name = classes.relativize(f).toString().replace(File.separatorChar, '/');
                if (name.isEmpty()) {
                    continue;
                }
                boolean dir = Files.isDirectory(f);
                jar.putNextEntry(new JarEntry(dir ? name + "/" : name));
                if (!dir) {
                    Files.copy(f, jar);
                }
                jar.closeEntry();
            }
        }
    }

    private static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("bin/warren-server"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "no bin/warren-server above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** A port P such that P and P+1 are free, and so are their derived cluster (+20000) and control (+30000) ports. */
    private static int transcriptPort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 35_000);
            if (IntStream.of(p, p + 1, p + 20_000, p + 20_001, p + 30_000, p + 30_001).allMatch(ClusteringGuideIT::free)) {
                return p;
            }
        }
        throw new AssertionError("no free port P in 20000-35000 with P+1, P+20000(+1) and P+30000(+1) free");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
