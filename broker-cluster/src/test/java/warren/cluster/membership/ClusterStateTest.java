package warren.cluster.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataCommand.ForgetClusterMember;
import warren.core.metadata.MetadataCommand.PutClusterIdentity;
import warren.core.metadata.MetadataCommand.PutClusterMember;

/** The cluster state file: membership commands recorded, persisted, reloaded and replayed as a snapshot. */
class ClusterStateTest {

    @TempDir
    Path dir;

    @Test
    void freshNodeHasNoClusterAndIsDisc() {
        ClusterState s = ClusterState.load(dir);
        assertNull(s.clusterId());
        assertEquals(ClusterState.DISC, s.ownType());
        assertTrue(s.members().isEmpty());
        assertTrue(s.snapshot().isEmpty());
    }

    @Test
    void membershipSurvivesReloadAndReplaysAsSnapshot() {
        ClusterState s = ClusterState.load(dir);
        s.apply(new PutClusterIdentity("rabbit@a", "id-1"));
        s.apply(new PutClusterMember("rabbit@a", "disc", "127.0.0.1:25672"));
        s.apply(new PutClusterMember("rabbit@b", "ram", "127.0.0.1:25673"));
        s.apply(new PutClusterMember("rabbit@c", "disc", "127.0.0.1:25674"));
        s.apply(new ForgetClusterMember("rabbit@c"));
        s.recordRunning(List.of("rabbit@a", "rabbit@b"));
        assertTrue(Files.isRegularFile(dir.resolve(ClusterState.FILE_NAME)));
        assertTrue(!Files.exists(dir.resolve(ClusterState.FILE_NAME + ".tmp")), "written through a temp file");

        ClusterState reloaded = ClusterState.load(dir);
        assertEquals("rabbit@a", reloaded.clusterName());
        assertEquals("id-1", reloaded.clusterId());
        assertEquals(List.of("rabbit@a"), reloaded.nodesOfType("disc"));
        assertEquals(List.of("rabbit@b"), reloaded.nodesOfType("ram"));
        assertEquals(List.of("rabbit@a", "rabbit@b"), reloaded.running());
        assertEquals("127.0.0.1:25673", reloaded.member("rabbit@b").address());

        ClusterState joiner = ClusterState.load(dir.resolve("joiner"));
        for (MetadataCommand c : reloaded.snapshot()) {
            joiner.apply(c);
        }
        assertEquals(reloaded.members(), joiner.members());
        assertEquals("id-1", joiner.clusterId());
    }

    @Test
    void resetForgetsTheClusterAndKeepsThePendingJoin() {
        ClusterState s = ClusterState.load(dir);
        s.apply(new PutClusterIdentity("rabbit@a", "id-1"));
        s.apply(new PutClusterMember("rabbit@a", "disc", "127.0.0.1:25672"));
        s.resetTo(ClusterState.RAM, "rabbit@z", "10.0.0.9:25672");
        ClusterState reloaded = ClusterState.load(dir);
        assertNull(reloaded.clusterId());
        assertTrue(reloaded.members().isEmpty());
        assertEquals(ClusterState.RAM, reloaded.ownType());
        assertEquals("rabbit@z", reloaded.joinTarget());
        assertEquals("10.0.0.9:25672", reloaded.joinSeed());
        reloaded.clearJoin();
        assertNull(ClusterState.load(dir).joinTarget());
    }
}
