package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * "Why didn't my node join?": a blank node whose cookie differs from the running seed's is refused;
 * while it retries, {@code warrenctl formation_status} names the refusing node and the reason, and
 * {@code warrenctl discover_peers} shows each candidate's reachability and compatibility (the seed:
 * reachable, cookie refused; a candidate that never started: unreachable, unknown; itself). When the
 * retries run out the node stops with the refusal in its error.
 */
class FormationStatusIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("127.0.25.1", "127.0.25.2", "127.0.25.3");
    private static final List<String> NAMES = List.of("cc-a", "cc-b", "cc-c");

    @TempDir
    Path dir;

    private BlankNodes blank;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank);
    }

    @Test
    void aNodeWithAnotherCookieIsRefusedAndBothCommandsSayWhy() throws Exception {
        Path hosts = Hosts.file(dir, NAMES, HOSTS);
        int port = NodeProcess.commonPort(HOSTS);
        String classic = "cluster_formation.peer_discovery_backend = classic_config\n"
                + "cluster_formation.classic_config.nodes.1 = warren@cc-a\n"
                + "cluster_formation.classic_config.nodes.2 = warren@cc-b\n"
                + "cluster_formation.classic_config.nodes.3 = warren@cc-c\n"
                + "cluster_formation.discovery_retry_limit = 30\n"
                + "cluster_formation.discovery_retry_interval = 500\n";
        blank = new BlankNodes(dir, "FORMATIONSTATUSITCOOKIE");
        NodeProcess seed = blank.addHost("a", "warren@cc-a", HOSTS.get(0), port, classic)
                .systemProperty("jdk.net.hosts.file", hosts.toString());
        NodeProcess stranger = blank.addHost("b", "warren@cc-b", HOSTS.get(1), port, classic)
                .systemProperty("jdk.net.hosts.file", hosts.toString());
        Path otherCookie = dir.resolve("other-cookie");
        Files.writeString(otherCookie, "NOTTHESAMECOOKIEATALL");
        Files.setPosixFilePermissions(otherCookie, PosixFilePermissions.fromString("r--------"));
        stranger.sharing(dir.resolve("run-b"), otherCookie);

        seed.start();
        assertEquals("formed", BlankNodes.formationState(seed), "the seed formed a cluster of one");
        Future<NodeProcess> booting = blank.startInBackground(stranger);
        JsonNode[] refused = new JsonNode[1];
        ClusterCtl.await("formation_status of warren@cc-b names its refusal by warren@cc-a", 60_000, () -> {
            try {
                JsonNode s = BlankNodes.formationStatus(stranger);
                refused[0] = s;
                return s.get("state").asText().equals("refused");
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
        JsonNode s = refused[0];
        assertEquals("warren@cc-a", s.get("target").asText(), s.toString());
        assertTrue(s.get("summary").asText().startsWith("refused by warren@cc-a because "), s.toString());
        assertTrue(s.get("detail").asText().toLowerCase().contains("cookie"), s.toString());

        NodeProcess.CtlResult peers = stranger.warrenctl("discover_peers", "--formatter", "json");
        assertEquals(0, peers.code(), peers.err() + peers.out());
        Map<String, JsonNode> rows = new HashMap<>();
        JSON.readTree(peers.out()).get("peers").forEach(r -> rows.put(r.get("node").asText(), r));
        assertEquals("classic_config", JSON.readTree(peers.out()).get("backend").asText());
        JsonNode a = rows.get("warren@cc-a");
        assertTrue(a.get("reachable").asBoolean(), a.toString());
        assertEquals("no", a.get("compatible").asText(), a.toString());
        assertEquals("its control listener refused this node's cookie", a.get("detail").asText());
        JsonNode c = rows.get("warren@cc-c");
        assertEquals(false, c.get("reachable").asBoolean(), c.toString());
        assertEquals("unknown", c.get("compatible").asText(), c.toString());
        assertTrue(rows.get("warren@cc-b").get("self").asBoolean());

        NodeProcess.CtlResult text = stranger.warrenctl("formation_status");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("refused by warren@cc-a because"), text.out());

        try {
            booting.get(120, TimeUnit.SECONDS);
            throw new AssertionError("a node refused by every running candidate must not boot: " + stranger.allLogs());
        } catch (java.util.concurrent.ExecutionException expected) {
            // awaitReady saw the process exit
        }
        assertTrue(stranger.allLogs().contains("The last refusal, by warren@cc-a:"), NodeProcess.tail(stranger.logFile(), 20));
        assertTrue(seed.isAlive(), "the seed is unharmed");
        assertEquals("formed", BlankNodes.formationState(seed));
    }

    @Test
    void discoverPeersOfAFormedClusterShowsEveryPeerReachableAndCompatible() throws Exception {
        blank = new BlankNodes(dir, "FORMATIONSTATUSITCOOKIE");
        blank.addClassicHosts(NAMES, HOSTS, 60);
        blank.startInParallel();
        blank.assertOneCluster();
        NodeProcess.CtlResult peers = blank.nodes().get(2).warrenctl("discover_peers", "--formatter", "json");
        assertEquals(0, peers.code(), peers.err());
        JsonNode out = JSON.readTree(peers.out());
        assertEquals("warren@cc-a", out.get("seed").asText());
        assertEquals(3, out.get("peers").size(), out.toString());
        for (JsonNode row : out.get("peers")) {
            assertTrue(row.get("reachable").asBoolean(), row.toString());
            assertEquals("yes", row.get("compatible").asText(), row.toString());
            assertTrue(row.get("detail").asText().startsWith("cookie accepted, version "), row.toString());
        }
    }
}
