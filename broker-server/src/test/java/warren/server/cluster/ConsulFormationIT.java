package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.consul.ConsulDouble;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs, each on its own loopback host (127.0.22.x) whose name only the nodes'
 * hosts file knows, booted in parallel with the {@code consul} backend against the Consul double
 * (ACL token required on every request): each registers its service with the check already
 * passing before it discovers, so the simultaneous starters see each other; they take the
 * startup lock one at a time and form ONE cluster.
 */
class ConsulFormationIT {

    private static final List<String> HOSTS = List.of("127.0.22.1", "127.0.22.2", "127.0.22.3");
    private static final List<String> NAMES = List.of("consul-a", "consul-b", "consul-c");
    private static final String TOKEN = "b1gs33cr3t-warren-formation";

    @TempDir
    Path dir;

    private BlankNodes blank;
    private ConsulDouble consul;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank, consul);
    }

    @Test
    void threeBlankNodesInParallelRegisterPassingAndFormOneCluster() throws Exception {
        consul = ConsulDouble.start();
        consul.requireToken(TOKEN);
        Path hosts = Hosts.file(dir, NAMES, HOSTS);
        int port = NodeProcess.commonPort(HOSTS);
        blank = new BlankNodes(dir, "CONSULFORMATIONITCOOKIE");
        for (int i = 0; i < HOSTS.size(); i++) {
            blank.addHost(NAMES.get(i), "warren@" + NAMES.get(i), HOSTS.get(i), port,
                    "cluster_formation.peer_discovery_backend = consul\n"
                            + "cluster_formation.consul.host = " + consul.host() + "\n"
                            + "cluster_formation.consul.port = " + consul.port() + "\n"
                            + "cluster_formation.consul.acl_token = " + TOKEN + "\n"
                            + "cluster_formation.consul.svc_addr_auto = true\n"
                            + "cluster_formation.consul.svc_addr_use_nodename = true\n"
                            + "cluster_formation.discovery_retry_limit = 60\n"
                            + "cluster_formation.discovery_retry_interval = 500\n")
                    .systemProperty("jdk.net.hosts.file", hosts.toString());
        }
        blank.startInParallel();
        blank.assertOneCluster();
        assertEquals(3, consul.serviceIds(0).size(), consul.serviceIds(0).toString());
        for (String id : consul.serviceIds(0)) {
            assertEquals("passing", consul.checkStatus(id).orElse("none"), id);
        }
        assertTrue(consul.requests().stream().allMatch(r -> r.token().filter(TOKEN::equals).isPresent()),
                "every request carries the ACL token");
        assertTrue(consul.requests().stream().anyMatch(r -> r.path().endsWith("/startup_lock")
                        && r.params().containsKey("release")),
                "the startup lock is released after the join");
        for (NodeProcess n : blank.nodes()) {
            assertTrue(Files.readString(n.logFile()).contains("released the formation lock"), n.nodeName());
        }
    }
}
