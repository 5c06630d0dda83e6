package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import warren.server.process.NodeProcess;

/**
 * Blank node processes for formation tests, each as if on its own machine: its own directory and
 * node registry (nothing local tells one about the others), one shared cookie, started in
 * parallel, and the check that they formed ONE cluster. {@link #close()} kills every process by PID.
 */
final class BlankNodes implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path cookie;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final ExecutorService starter = Executors.newCachedThreadPool();

    BlankNodes(Path dir, String cookieValue) throws Exception {
        this.dir = dir;
        this.cookie = dir.resolve("cookie");
        Files.createDirectories(dir);
        Files.writeString(cookie, cookieValue);
        Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
    }

    /** A blank node under {@code dir/<key>} with its own registry, the shared cookie and {@code config} lines. */
    NodeProcess add(String key, String config) {
        NodeProcess n = new NodeProcess(dir.resolve(key)).sharing(dir.resolve("run-" + key), cookie).config(config);
        nodes.add(n);
        return n;
    }

    /**
     * A blank node named {@code nodeName} on its own loopback host {@code address} with AMQP on
     * {@code port} (cluster port + 20000, link + 40000, as every node of a real deployment).
     */
    NodeProcess addHost(String key, String nodeName, String address, int port, String config) {
        return add(key, config).named(nodeName).host(address, port);
    }

    /**
     * One blank node per name, each on its address (same port layout), with a classic_config list of
     * all of them ({@code warren@<name>}), a hosts file that maps the names, and the given retry limit
     * (500 ms apart).
     */
    List<NodeProcess> addClassicHosts(List<String> names, List<String> addresses, int retryLimit) throws Exception {
        Path hosts = Hosts.file(dir, names, addresses);
        int port = NodeProcess.commonPort(addresses);
        StringBuilder config = new StringBuilder("cluster_formation.peer_discovery_backend = classic_config\n");
        for (int i = 0; i < names.size(); i++) {
            config.append("cluster_formation.classic_config.nodes.").append(i + 1).append(" = warren@")
                    .append(names.get(i)).append('\n');
        }
        config.append("cluster_formation.discovery_retry_limit = ").append(retryLimit).append('\n')
                .append("cluster_formation.discovery_retry_interval = 500\n");
        List<NodeProcess> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            out.add(addHost(names.get(i), "warren@" + names.get(i), addresses.get(i), port, config.toString())
                    .systemProperty("jdk.net.hosts.file", hosts.toString()));
        }
        return out;
    }

    List<NodeProcess> nodes() {
        return nodes;
    }

    /** Starts every node at once and waits (bounded) until each accepts AMQP. */
    void startInParallel() throws Exception {
        startInParallel(nodes);
    }

    void startInParallel(List<NodeProcess> group) throws Exception {
        List<Future<NodeProcess>> started = new ArrayList<>();
        for (NodeProcess n : group) {
            started.add(starter.submit(() -> n.start()));
        }
        for (Future<NodeProcess> f : started) {
            f.get(180, TimeUnit.SECONDS);
        }
    }

    /** Starts {@code n} on another thread (it may wait for a lock or for peers); the future ends when it is ready. */
    Future<NodeProcess> startInBackground(NodeProcess n) {
        return starter.submit(() -> n.start());
    }

    /** Every node reports all of them running, the same cluster id, and formation state 'formed'. */
    void assertOneCluster() throws Exception {
        assertOneCluster(nodes);
    }

    static void assertOneCluster(List<NodeProcess> group) throws Exception {
        Set<String> all = new TreeSet<>();
        group.forEach(n -> all.add(n.nodeName()));
        try {
            awaitOneCluster(group, all);
        } catch (AssertionError e) {
            StringBuilder why = new StringBuilder(e.getMessage());
            for (NodeProcess n : group) {
                why.append("\n--- ").append(n.nodeName()).append(": ").append(n.warrenctl("cluster_status").out())
                        .append("\nlog tail:\n").append(NodeProcess.tail(n.logFile(), 30));
            }
            throw new AssertionError(why.toString(), e);
        }
        JsonNode first = ClusterCtl.status(group.get(0));
        for (NodeProcess n : group) {
            assertEquals(first.get("cluster_id"), ClusterCtl.status(n).get("cluster_id"), n.nodeName());
            assertEquals("formed", formationState(n), n.nodeName());
        }
    }

    private static void awaitOneCluster(List<NodeProcess> group, Set<String> all) throws Exception {
        ClusterCtl.await("one cluster of " + all + " seen from every node", 60_000, () -> {
            for (NodeProcess n : group) {
                try {
                    JsonNode s = ClusterCtl.status(n);
                    Set<String> running = new TreeSet<>();
                    s.get("running_nodes").forEach(r -> running.add(r.asText()));
                    if (!running.equals(all)) {
                        return false;
                    }
                } catch (Exception | AssertionError e) {
                    return false;
                }
            }
            return true;
        });
    }

    /** {@code warrenctl formation_status --formatter json} of {@code n}, parsed. */
    static JsonNode formationStatus(NodeProcess n) throws Exception {
        NodeProcess.CtlResult r = n.warrenctl("formation_status", "--formatter", "json");
        assertEquals(0, r.code(), r.err());
        return JSON.readTree(r.out());
    }

    static String formationState(NodeProcess n) throws Exception {
        return formationStatus(n).get("state").asText();
    }

    /** Closes each of {@code all} that is not null (node groups, then the fixtures they used), in order. */
    static void closeAll(AutoCloseable... all) throws Exception {
        for (AutoCloseable c : all) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Stops every node that still runs, by PID, then the starter threads. */
    @Override
    public void close() {
        nodes.forEach(NodeProcess::close);
        starter.shutdownNow();
    }
}
