package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.etcd.EtcdServer;
import warren.server.process.NodeProcess;

/**
 * {@code cluster_formation.node_cleanup.*} against a real etcd: a member killed with SIGKILL leaves the
 * etcd registry when its lease expires; a node checking every second then warns that it is unreachable
 * (the default, {@code only_log_warning = true}: it stays a member) or, with {@code only_log_warning =
 * false}, forgets it, as forget_cluster_node would.
 */
class NodeCleanupIT {

    @TempDir
    Path dir;

    private BlankNodes blank;
    private EtcdServer etcd;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank, etcd);
    }

    /** Two blank nodes formed through etcd; the first checks every second with {@code cleanup} lines. */
    private void formTwo(String cleanup) throws Exception {
        etcd = EtcdServer.start();
        blank = new BlankNodes(dir, "NODECLEANUPITCOOKIE");
        String etcdConfig = "cluster_formation.peer_discovery_backend = etcd\n"
                + "cluster_formation.etcd.endpoints.1 = " + etcd.endpoint() + "\n"
                + "cluster_formation.etcd.node_ttl = 5\n"
                + "cluster_formation.discovery_retry_limit = 60\n"
                + "cluster_formation.discovery_retry_interval = 500\n";
        blank.add("checker", etcdConfig + "cluster_formation.node_cleanup.interval = 1\n" + cleanup);
        blank.add("doomed", etcdConfig);
        blank.startInParallel();
        blank.assertOneCluster();
    }

    private NodeProcess checker() {
        return blank.nodes().get(0);
    }

    private NodeProcess doomed() {
        return blank.nodes().get(1);
    }

    @Test
    void byDefaultAKilledMemberGoneFromTheBackendIsOnlyWarnedAbout() throws Exception {
        formTwo("");
        assertTrue(ClusterCtl.logged(checker(),
                "Peer discovery: enabling node cleanup (will only log warnings). Check interval: 1 seconds."));
        String doomedName = doomed().nodeName();
        doomed().kill9();
        String warning = "Peer discovery: node " + doomedName + " is unreachable";
        ClusterCtl.await("the checker warns about " + doomedName + " once its etcd lease expired", 60_000,
                () -> checker().allLogs().split(java.util.regex.Pattern.quote(warning), -1).length > 2);
        assertEquals(Set.of(checker().nodeName(), doomedName), ClusterCtl.names(ClusterCtl.status(checker()).get("disk_nodes")),
                "warnings only: the killed node stays a member");
    }

    @Test
    void withOnlyLogWarningFalseAKilledMemberGoneFromTheBackendIsForgotten() throws Exception {
        formTwo("cluster_formation.node_cleanup.only_log_warning = false\n");
        assertTrue(ClusterCtl.logged(checker(), "Peer discovery: enabling node cleanup (will remove nodes not known "
                + "to the discovery backend). Check interval: 1 seconds."));
        String doomedName = doomed().nodeName();
        doomed().kill9();
        ClusterCtl.await("the checker forgets " + doomedName, 60_000,
                () -> ClusterCtl.statusMatches(checker(), Set.of(checker().nodeName()), Set.of(checker().nodeName())));
        assertTrue(ClusterCtl.logged(checker(), "Peer discovery: removing unknown node " + doomedName + " from the cluster"));
        assertTrue(etcd.get("/rabbitmq/discovery/rabbitmq/clusters/default/nodes/" + doomedName).isEmpty());
    }
}
