package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * {@code warrenctl formation_status} in the states a node stays in long enough to be asked:
 * {@code discovering} (the backend cannot be asked, attempt n/m counting up), {@code joining} (a
 * non-seed waiting for its seed, attempt n/m), {@code formed}, {@code stopped} (stop_app) and
 * {@code rejoining} (a member restarted before the peer that stopped last). {@code waiting_for_lock}
 * is in EtcdFormationIT, {@code refused} in FormationStatusIT.
 */
class FormationStatesIT {

    private static final List<String> HOSTS = List.of("127.0.26.1", "127.0.26.2");
    private static final List<String> NAMES = List.of("fs-a", "fs-b");

    @TempDir
    Path dir;

    private BlankNodes blank;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank);
    }

    /** Waits until {@code n}'s formation_status matches, and returns it. */
    private static JsonNode awaitStatus(NodeProcess n, String what, Predicate<JsonNode> matches) throws Exception {
        JsonNode[] seen = new JsonNode[1];
        try {
            ClusterCtl.await(n.nodeName() + " formation_status: " + what, 60_000, () -> {
                try {
                    seen[0] = BlankNodes.formationStatus(n);
                    return matches.test(seen[0]);
                } catch (Exception | AssertionError e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen: " + seen[0], e);
        }
        return seen[0];
    }

    @Test
    void aBackendThatCannotBeAskedIsDiscoveringWithTheAttemptCounted() throws Exception {
        blank = new BlankNodes(dir, "FORMATIONSTATESITCOOKIE");
        int nobody = NodeProcess.freePort(); // no DNS server answers there
        NodeProcess n = blank.add("lonely", "cluster_formation.peer_discovery_backend = dns\n"
                + "cluster_formation.dns.hostname = peers.warren.test\n"
                + "cluster_formation.dns.server = 127.0.0.1:" + nobody + "\n"
                + "cluster_formation.discovery_retry_limit = 200\n"
                + "cluster_formation.discovery_retry_interval = 200\n");
        blank.startInBackground(n);
        JsonNode s = awaitStatus(n, "discovering, attempt 3 or later", j -> j.get("state").asText().equals("discovering")
                && j.get("attempt").asInt() >= 3);
        assertEquals(201, s.get("max_attempts").asInt(), s.toString());
        assertEquals("dns", s.get("backend").asText());
        assertTrue(s.get("summary").asText().startsWith("discovering peers with dns, attempt "), s.toString());
    }

    @Test
    void joiningThenFormedThenStoppedThenRejoining() throws Exception {
        blank = new BlankNodes(dir, "FORMATIONSTATESITCOOKIE");
        blank.addClassicHosts(NAMES, HOSTS, 120);
        NodeProcess seed = blank.nodes().get(0);
        NodeProcess other = blank.nodes().get(1);

        Future<NodeProcess> otherBoot = blank.startInBackground(other); // its seed fs-a is not started yet
        JsonNode joining = awaitStatus(other, "joining the seed, attempt 2 or later",
                j -> j.get("state").asText().equals("joining") && j.get("attempt").asInt() >= 2);
        assertEquals("warren@fs-a", joining.get("target").asText(), joining.toString());
        assertEquals("warren@fs-a", joining.get("seed").asText(), joining.toString());
        assertEquals(121, joining.get("max_attempts").asInt(), joining.toString());
        assertTrue(joining.get("summary").asText().startsWith("joining warren@fs-a, attempt "), joining.toString());

        seed.start();
        otherBoot.get(120, TimeUnit.SECONDS);
        blank.assertOneCluster();

        ClusterCtl.ok(other, "stop_app");
        assertEquals("stopped", BlankNodes.formationState(other));
        ClusterCtl.ok(other, "start_app");
        awaitStatus(other, "formed again after start_app", j -> j.get("state").asText().equals("formed"));

        // other stops first, seed last: other restarted alone waits for seed, the member it saw last
        assertTrue(NodeProcess.cleanExit(other.stop()));
        ClusterCtl.await("the seed sees " + other.nodeName() + " gone", 30_000,
                () -> !ClusterCtl.names(status(seed).get("running_nodes")).contains(other.nodeName()));
        assertTrue(NodeProcess.cleanExit(seed.stop()));
        Future<NodeProcess> rejoin = blank.startInBackground(other);
        JsonNode rejoining = awaitStatus(other, "rejoining its last-seen peer",
                j -> j.get("state").asText().equals("rejoining"));
        assertTrue(rejoining.get("detail").asText().contains("warren@fs-a"), rejoining.toString());
        seed.start();
        rejoin.get(120, TimeUnit.SECONDS);
        blank.assertOneCluster();
    }

    private static JsonNode status(NodeProcess n) {
        try {
            return ClusterCtl.status(n);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
