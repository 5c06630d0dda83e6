package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/** Restart time of a node with {@code warren.recovery.messages} (default 1,000,000) persistent messages in one queue. */
class RecoveryTimeIT {

    static final long MESSAGES = Long.getLong("warren.recovery.messages", 1_000_000L);

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void killNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void millionMessagesRecoverWithin30Seconds() throws Exception {
        node = new NodeProcess(dir.resolve("node"), "-Xmx512m", "-XX:+ExitOnOutOfMemoryError").start();
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            ch.queueDeclare("big", true, false, false, null);
        }
        long t0 = System.nanoTime();
        Publishing.publish(node, "big", MESSAGES, 256, 4);
        System.out.printf("RecoveryTimeIT: published %,d persistent in %d ms%n", MESSAGES, (System.nanoTime() - t0) / 1_000_000);
        assertTrue(NodeProcess.cleanExit(node.stop()));

        long s = System.nanoTime();
        node.start();
        long startMs = (System.nanoTime() - s) / 1_000_000;
        Matcher m = Pattern.compile("recovered (\\d+) messages of (.*) in (\\d+) ms").matcher(node.allLogs());
        long recoveredMs = -1;
        long recovered = -1;
        while (m.find()) {
            recovered = Long.parseLong(m.group(1));
            recoveredMs = Long.parseLong(m.group(3));
        }
        System.out.printf("RecoveryTimeIT: restart to AMQP-ready in %d ms; log: recovered %d messages in %d ms%n",
                startMs, recovered, recoveredMs);
        assertEquals(MESSAGES, recovered, "log line 'recovered N messages of ... in X ms'");
        assertTrue(recoveredMs >= 0 && recoveredMs < 30_000, "recovery took " + recoveredMs + " ms");
        assertTrue(startMs < 30_000, "restart took " + startMs + " ms");
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            assertEquals(MESSAGES, ch.queueDeclarePassive("big").getMessageCount());
        }
        assertTrue(NodeProcess.cleanExit(node.stop()));
    }
}
