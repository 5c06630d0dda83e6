package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * A backlog far larger than the heap: {@code warren.backlog.messages} (default 5,000,000) persistent 1 KB
 * messages into one durable queue of a node with -Xmx512m, then drained in order (prefetch 500,
 * multiple acks). The node must stay alive and never log an OutOfMemoryError.
 */
class BacklogIT {

    static final long MESSAGES = Long.getLong("warren.backlog.messages", 5_000_000L);
    static final int PRODUCERS = 4;

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
    void backlogBeyondTheHeapIsPagedAndDrainedInOrder() throws Exception {
        node = new NodeProcess(dir.resolve("node"), "-Xmx512m", "-XX:+ExitOnOutOfMemoryError").start();
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            ch.queueDeclare("backlog", true, false, false, null);
        }
        long t0 = System.nanoTime();
        Publishing.publish(node, "backlog", MESSAGES, 1024, PRODUCERS);
        long published = System.nanoTime();
        System.out.printf("BacklogIT: published %,d x 1 KB persistent in %d ms%n", MESSAGES, (published - t0) / 1_000_000);
        assertTrue(node.isAlive(), "node alive after publishing");

        long[] next = new long[PRODUCERS];
        AtomicReference<String> problem = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        long[] received = {0};
        try (Connection c = node.connect()) {
            Channel ch = c.createChannel();
            assertEquals(MESSAGES, ch.queueDeclarePassive("backlog").getMessageCount(), "queue depth");
            ch.basicQos(500);
            ch.basicConsume("backlog", false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                        throws java.io.IOException {
                    ByteBuffer b = ByteBuffer.wrap(body);
                    int producer = b.getInt();
                    long seq = b.getLong();
                    if (body.length != 1024 || producer < 0 || producer >= PRODUCERS || seq != next[producer]) {
                        problem.compareAndSet(null, "delivery " + received[0] + ": producer " + producer + " seq " + seq
                                + ", expected seq " + (producer >= 0 && producer < PRODUCERS ? next[producer] : -1)
                                + " (size " + body.length + ")");
                        done.countDown();
                        return;
                    }
                    next[producer]++;
                    received[0]++;
                    if (received[0] % 250 == 0 || received[0] == MESSAGES) {
                        getChannel().basicAck(env.getDeliveryTag(), true);
                    }
                    if (received[0] == MESSAGES) {
                        done.countDown();
                    }
                }
            });
            long lastCount = -1;
            // bounded wait: progress must be made every 60 s
            while (!done.await(60, TimeUnit.SECONDS)) {
                assertTrue(node.isAlive(), "node alive while draining");
                long now = received[0];
                assertTrue(now > lastCount, "no progress for 60 s at " + now + " of " + MESSAGES);
                lastCount = now;
            }
            assertNull(problem.get(), problem.get());
            ch.close();
            try (Channel check = c.createChannel()) {
                assertEquals(0, check.queueDeclarePassive("backlog").getMessageCount(), "drained");
                assertNull(check.basicGet("backlog", true), "nothing left");
            }
        }
        long drained = System.nanoTime();
        System.out.printf("BacklogIT: drained %,d in order in %d ms (total %d ms)%n", MESSAGES,
                (drained - published) / 1_000_000, (drained - t0) / 1_000_000);
        assertEquals(MESSAGES, received[0]);
        assertTrue(node.isAlive(), "node alive after draining");
        String logs = node.allLogs();
        assertFalse(logs.contains("OutOfMemoryError"), "the node logged an OutOfMemoryError");
        assertTrue(NodeProcess.cleanExit(node.stop()));
    }
}
