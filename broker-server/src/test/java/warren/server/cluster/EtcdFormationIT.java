package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.Map;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.etcd.EtcdServer;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs booted in parallel against a real etcd 3.4 (started here on loopback, stopped by
 * PID) form ONE cluster: each registers before it discovers, takes the formation lock, joins any running
 * candidate or else forms, and releases the lock. Also: keys at RabbitMQ's documented path, a clean stop
 * unregisters, and etcd coming up after the nodes (within the retry budget) still gives one cluster.
 */
class EtcdFormationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NODES_PREFIX = "/rabbitmq/discovery/rabbitmq/clusters/default/nodes/";

    @TempDir
    Path dir;

    private BlankNodes blank;
    private EtcdServer etcd;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank, etcd);
    }

    private List<NodeProcess> blankNodes(String endpoint) throws Exception {
        blank = new BlankNodes(dir, "ETCDFORMATIONITCOOKIE");
        for (String name : List.of("a", "b", "c")) {
            blank.add(name, "cluster_formation.peer_discovery_backend = etcd\n"
                    + "cluster_formation.etcd.endpoints.1 = " + endpoint + "\n"
                    + "cluster_formation.etcd.node_ttl = 5\n"
                    + "cluster_formation.discovery_retry_limit = 60\n"
                    + "cluster_formation.discovery_retry_interval = 500\n");
        }
        return blank.nodes();
    }

    @Test
    void threeBlankNodesInParallelFormOneClusterRegisteredAtTheDocumentedPath() throws Exception {
        etcd = EtcdServer.start();
        List<NodeProcess> group = blankNodes(etcd.endpoint());
        blank.startInParallel();
        blank.assertOneCluster();
        Set<String> expected = new TreeSet<>();
        group.forEach(n -> expected.add(NODES_PREFIX + n.nodeName()));
        assertEquals(expected, new TreeSet<>(etcd.keys(NODES_PREFIX)));
        for (NodeProcess n : group) {
            String value = etcd.get(NODES_PREFIX + n.nodeName()).orElseThrow();
            assertTrue(value.contains("127.0.0.1"), "the node's address is registered: " + value);
        }
        NodeProcess leaving = group.get(2);
        assertTrue(NodeProcess.cleanExit(leaving.stop()), leaving.allLogs());
        ClusterCtl.await("a clean stop unregisters " + leaving.nodeName(), 10_000,
                () -> etcd.get(NODES_PREFIX + leaving.nodeName()).isEmpty());
        assertTrue(leaving.allLogs().contains("Peer discovery: unregistered node " + leaving.nodeName()),
                "the unregistration is logged");
    }

    @Test
    void etcdStartedAfterTheNodesStillGivesOneCluster() throws Exception {
        int port = NodeProcess.freePort();
        List<NodeProcess> group = blankNodes("127.0.0.1:" + port);
        List<Future<NodeProcess>> started = new ArrayList<>();
        for (NodeProcess n : group) {
            started.add(blank.startInBackground(n));
        }
        for (NodeProcess n : group) {
            ClusterCtl.await(n.nodeName() + " retries registration while etcd is down", 60_000,
                    () -> n.allLogs().contains("Will retry after a delay of 500 ms"));
        }
        etcd = EtcdServer.startOnPort(port);
        for (Future<NodeProcess> f : started) {
            f.get(180, TimeUnit.SECONDS);
        }
        blank.assertOneCluster();
    }

    @Test
    void formationStatusNamesTheNodeHoldingTheLockWhileWaiting() throws Exception {
        etcd = EtcdServer.start();
        DiscoverySettings holderSettings = new DiscoverySettings("warren@holder", Map.of(
                "cluster_formation.peer_discovery_backend", "etcd",
                "cluster_formation.etcd.endpoints.1", etcd.endpoint(),
                "cluster_formation.etcd.node_ttl", "5"));
        PeerDiscovery holder = new PeerDiscoveryLoader().load(holderSettings);
        DiscoveryLock lock = holder.lock(Set.of("warren@holder")).orElseThrow();
        NodeProcess waiting = blankNodes(etcd.endpoint()).get(0);
        Future<NodeProcess> started = blank.startInBackground(waiting);
        ClusterCtl.await("formation_status shows the wait for the lock held by warren@holder", 60_000, () -> {
            NodeProcess.CtlResult r = waiting.warrenctl("formation_status", "--formatter", "json");
            try {
                JsonNode s = JSON.readTree(r.out());
                return r.code() == 0 && s.get("state").asText().equals("waiting_for_lock")
                        && s.get("lock_holder").asText().equals("warren@holder")
                        && s.get("summary").asText().contains("held by warren@holder");
            } catch (Exception e) {
                return false;
            }
        });
        lock.close();
        started.get(120, TimeUnit.SECONDS);
        assertEquals("formed", BlankNodes.formationState(waiting));
    }
}
