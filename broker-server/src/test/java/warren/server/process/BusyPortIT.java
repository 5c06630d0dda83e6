package warren.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #10 item 8: a node whose AMQP port another process holds refuses to start with RabbitMQ's words
 * ({@code could_not_start_listener ... eaddrinuse}) and the port, before it writes anything to its data
 * directory (no store, no cluster state, no "first start" definitions).
 */
class BusyPortIT {

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void stopNode() {
        if (node != null) {
            node.close(); // kills by PID if it still runs
        }
    }

    @Test
    void busyAmqpPortIsNamedAndTheDataDirIsNotTouched() throws Exception {
        try (ServerSocket holder = new ServerSocket()) {
            holder.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = holder.getLocalPort();
            node = new NodeProcess(dir.resolve("node")).amqpPort(port);
            int exit = node.startExpectingExit(Duration.ofSeconds(60));
            String logs = node.allLogs();
            assertEquals(1, exit, logs);
            assertTrue(logs.contains("could not start: could_not_start_listener 127.0.0.1 " + port + ": eaddrinuse: port "
                    + port + " is already in use by another process"), logs);
            assertFalse(Files.exists(node.dataDir()), "data dir created before the port was checked: " + node.dataDir());
            assertFalse(logs.contains("first start"), logs);
        }
    }
}
