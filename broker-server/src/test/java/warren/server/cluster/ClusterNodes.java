package warren.server.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/** What every multi-process cluster test has: a temp root for the nodes and their stop-by-PID after each test. */
abstract class ClusterNodes {
    @TempDir
    Path root;
    final List<NodeProcess> nodes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        nodes.forEach(NodeProcess::close);
    }
}
