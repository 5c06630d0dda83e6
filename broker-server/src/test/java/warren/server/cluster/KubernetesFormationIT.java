package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.k8s.KubernetesApiDouble;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs, pods of one StatefulSet each on its own loopback host (127.0.23.x), booted in
 * parallel with the {@code k8s} backend form ONE cluster: in API mode from the Endpoints of the headless
 * service served by the Kubernetes API double over HTTPS (bearer token, CA verified), with every pod
 * still not ready; in StatefulSet mode with no API at all, the pods finding the seed {@code -0} by the
 * name the cluster's DNS would resolve (here the nodes' hosts file).
 */
class KubernetesFormationIT {

    private static final List<String> HOSTS = List.of("127.0.23.1", "127.0.23.2", "127.0.23.3");
    private static final String SUFFIX = ".warren-headless.default.svc.cluster.local";

    @TempDir
    Path dir;

    private BlankNodes blank;
    private KubernetesApiDouble api;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank, api);
    }

    private static List<String> pods() {
        return List.of("warren-0", "warren-1", "warren-2");
    }

    private void bootPods(String config, Path hostsFile) throws Exception {
        int port = NodeProcess.commonPort(HOSTS);
        blank = new BlankNodes(dir, "K8SFORMATIONITCOOKIE");
        for (int i = 0; i < HOSTS.size(); i++) {
            NodeProcess n = blank.addHost(pods().get(i), "warren@" + pods().get(i) + SUFFIX, HOSTS.get(i), port,
                    config + "cluster_formation.discovery_retry_limit = 60\n"
                            + "cluster_formation.discovery_retry_interval = 500\n");
            if (hostsFile != null) {
                n.systemProperty("jdk.net.hosts.file", hostsFile.toString());
            }
        }
        blank.startInParallel();
        blank.assertOneCluster();
    }

    @Test
    void apiModeFormsOneClusterFromNotReadyEndpoints() throws Exception {
        api = KubernetesApiDouble.start();
        List<KubernetesApiDouble.Address> notReady = new ArrayList<>();
        for (int i = 0; i < HOSTS.size(); i++) {
            notReady.add(KubernetesApiDouble.Address.pod(HOSTS.get(i), pods().get(i)));
        }
        api.setEndpoints("warren-headless", List.of(), notReady);
        StringBuilder config = new StringBuilder();
        for (Map.Entry<String, String> e : api.settings().entrySet()) {
            config.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        config.append("cluster_formation.k8s.service_name = warren-headless\n")
                .append("cluster_formation.k8s.address_type = hostname\n")
                .append("cluster_formation.k8s.hostname_suffix = ").append(SUFFIX).append('\n');
        bootPods(config.toString(), null);
        assertTrue(api.requests().stream().allMatch(r -> r.path().equals("/api/v1/namespaces/default/endpoints/warren-headless")
                && ("Bearer " + api.token()).equals(r.authorization())), api.requests().toString());
        for (NodeProcess n : blank.nodes()) {
            assertTrue(n.allLogs().contains("Kubernetes endpoints include nodes not yet ready"), n.nodeName());
        }
    }

    @Test
    void statefulSetModeFormsOneClusterAroundOrdinalZeroWithoutTheApi() throws Exception {
        List<String> names = pods().stream().map(p -> p + SUFFIX).toList();
        bootPods("cluster_formation.peer_discovery_backend = k8s\n"
                + "cluster_formation.k8s.ordinal_start = 0\n", Hosts.file(dir, names, HOSTS));
        NodeProcess seed = blank.nodes().get(0);
        assertTrue(seed.allLogs().contains("the seed node is warren@warren-0" + SUFFIX + " (this node"), seed.nodeName());
    }
}
