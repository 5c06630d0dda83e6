package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * Issue #10 item 5: after a kill -9 of a node with a persistent backlog (so that its restart
 * recovers the store for a while), {@code warrenctl await_startup} run right after launching the
 * process returns 0 only once the node serves AMQP: at once an AMQP client connects and sees the
 * whole backlog, and {@code cluster_status} answers 0 (before the fix it answered 64 "app not running"
 * and the client was refused).
 */
class ReadinessIT {

    private static final long BACKLOG = Long.getLong("warren.readiness.messages", 30_000L);

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void killNode() {
        if (node != null) {
            node.close();
        }
    }

    private int ctl(String... args) {
        NodeProcess.CtlResult r = node.warrenctl(args);
        System.out.println("warrenctl " + String.join(" ", args) + " -> " + r.code() + " " + r.err());
        return r.code();
    }

    @Test
    void awaitStartupAfterKill9RecoveryReturnsOnlyWhenAmqpIsServed() throws Exception {
        node = new NodeProcess(dir.resolve("node"), "-Xmx384m").start();
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            ch.queueDeclare("backlog", true, false, false, null);
        }
        Publishing.publish(node, "backlog", BACKLOG, 200, 2);
        node.kill9();

        node.startInBackground();
        long t0 = System.nanoTime();
        assertEquals(0, ctl("-t", "120", "await_startup"), "await_startup after the kill -9");
        long waited = (System.nanoTime() - t0) / 1_000_000;
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            assertEquals(BACKLOG, ch.queueDeclarePassive("backlog").getMessageCount(), "the recovered backlog");
        }
        assertEquals(0, ctl("cluster_status"), "cluster_status right after await_startup");
        System.out.printf("ReadinessIT: await_startup returned after %d ms (%,d persistent messages recovered)%n",
                waited, BACKLOG);

        // a stopped app is not running: await_startup says so at once (rabbitmqctl's rabbit_is_not_running, 69)
        assertEquals(0, ctl("stop_app"));
        assertEquals(69, ctl("-t", "5", "await_startup"));
        assertEquals(0, ctl("start_app"));
        assertEquals(0, ctl("-t", "30", "await_startup"));
        assertTrue(NodeProcess.cleanExit(node.stop()));
    }

    /**
     * A boot that fails after the control listener is up (first-boot formation whose seed, aaa@host,
     * never comes: 3 attempts 1 s apart) answers the waiting await_startup with rabbitmqctl's
     * rabbit_is_not_running (exit 69) followed by the reason, not with success or a bare timeout.
     */
    @Test
    void awaitStartupOfAFailedBootGivesTheReason() throws Exception {
        node = new NodeProcess(dir.resolve("failing"));
        String host = warren.server.config.NodeNames.shortHostname();
        node.config("cluster_formation.peer_discovery_backend = classic_config\n"
                + "cluster_formation.classic_config.nodes.1 = aaa@" + host + "\n"
                + "cluster_formation.classic_config.nodes.2 = " + node.nodeName() + "\n"
                + "cluster_formation.discovery_retry_limit = 3\n"
                + "cluster_formation.discovery_retry_interval = 1000\n");
        node.startInBackground();
        NodeProcess.CtlResult r = node.warrenctl("-t", "60", "await_startup");
        assertEquals(69, r.code(), r.err());
        assertTrue(r.err().startsWith("Error:\nwarren_is_not_running\nnode " + node.nodeName() + " failed to boot: "
                + "node " + node.nodeName() + " could not join the cluster of seed node aaa@" + host), r.err());
    }
}
