package warren.cluster.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.metadata.MetadataCommand.PutClusterIdentity;
import warren.core.metadata.MetadataCommand.PutClusterMember;

/** The rejoin check of a restarting member: forgotten, or another cluster id, is inconsistent_cluster. */
class ClusterRejoinCheckTest {

    @TempDir
    Path dir;

    private ClusterState member() {
        ClusterState s = ClusterState.load(dir);
        s.apply(new PutClusterIdentity("warren@a", "id-1"));
        s.apply(new PutClusterMember("warren@a", "disc", "127.0.0.1:1"));
        s.apply(new PutClusterMember("warren@b", "disc", "127.0.0.1:2"));
        return s;
    }

    @Test
    void sameClusterListingTheNodeIsRecorded() {
        ClusterState s = member();
        s.beginRejoinCheck("warren@b");
        s.apply(new PutClusterIdentity("warren@a", "id-1"));
        s.apply(new PutClusterMember("warren@a", "disc", "127.0.0.1:1"));
        s.apply(new PutClusterMember("warren@b", "disc", "127.0.0.1:2"));
        s.apply(new PutClusterMember("warren@c", "ram", "127.0.0.1:3"));
        assertEquals(2, s.members().size(), "held back during the check");
        s.endRejoinCheck("warren@b", "warren@a");
        assertEquals(3, s.members().size());
    }

    @Test
    void clusterThatForgotTheNodeIsInconsistent() {
        ClusterState s = member();
        s.beginRejoinCheck("warren@b");
        s.apply(new PutClusterIdentity("warren@a", "id-1"));
        s.apply(new PutClusterMember("warren@a", "disc", "127.0.0.1:1"));
        InconsistentClusterException e = assertThrows(InconsistentClusterException.class,
                () -> s.endRejoinCheck("warren@b", "warren@a"));
        assertEquals("inconsistent_cluster: Node warren@b thinks it's clustered with node warren@a, but warren@a "
                + "disagrees", e.getMessage());
        assertEquals(List.of("warren@a", "warren@b"), s.members().stream().map(ClusterState.Member::node).toList());
    }

    @Test
    void clusterWithAnotherIdIsInconsistent() {
        ClusterState s = member();
        s.beginRejoinCheck("warren@b");
        s.apply(new PutClusterIdentity("warren@a", "id-2"));
        s.apply(new PutClusterMember("warren@a", "disc", "127.0.0.1:1"));
        s.apply(new PutClusterMember("warren@b", "disc", "127.0.0.1:2"));
        assertThrows(InconsistentClusterException.class, () -> s.endRejoinCheck("warren@b", "warren@a"));
        assertEquals("id-1", ClusterState.load(dir).clusterId(), "the recorded id is kept");
    }

    @Test
    void noSnapshotReceivedMeansNothingToCheck() {
        ClusterState s = member();
        s.beginRejoinCheck("warren@b");
        s.endRejoinCheck("warren@b", null);
        assertEquals(2, s.members().size());
    }
}
