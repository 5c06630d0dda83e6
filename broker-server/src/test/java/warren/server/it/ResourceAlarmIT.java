package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import warren.server.EmbeddedNode;

/** connection.blocked / connection.unblocked driven by the memory high watermark. */
class ResourceAlarmIT extends AmqpIT {

    private static final class Blocking implements BlockedListener {
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch unblocked = new CountDownLatch(1);
        final AtomicReference<String> reason = new AtomicReference<>();

        @Override
        public void handleBlocked(String r) {
            reason.set(r);
            blocked.countDown();
        }

        @Override
        public void handleUnblocked() {
            unblocked.countDown();
        }
    }

    @Test
    void publisherIsBlockedOnNodeStartedWithTinyMemoryWatermark() throws Exception {
        assumeEmbedded("needs a node started with vm_memory_high_watermark.relative = 0.000001");
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("vm_memory_high_watermark.relative", "0.000001"))) {
            ConnectionFactory f = factory();
            f.setPort(node.amqpPort());
            try (Connection c = f.newConnection()) {
                Blocking b = new Blocking();
                c.addBlockedListener(b);
                Channel ch = c.createChannel();
                String qn = ch.queueDeclare("", false, false, true, null).getQueue(); // not exclusive: another connection checks it
                ch.basicPublish("", qn, null, bytes("held"));
                assertTrue(b.blocked.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection.blocked expected");
                assertNotNull(b.reason.get());
                assertTrue(b.reason.get().contains("memory"), b.reason.get());
                // consuming connections are not blocked: another connection can still read (nothing arrived)
                try (Connection reader = f.newConnection()) {
                    Channel rch = reader.createChannel();
                    assertEquals(0, rch.queueDeclarePassive(qn).getMessageCount(), "publish must be held while blocked");
                }
            }
        }
    }

    @Test
    void connectionIsBlockedAndUnblockedWhenWatermarkChangesAtRuntime() throws Exception {
        Connection c = connect();
        Blocking b = new Blocking();
        c.addBlockedListener(b);
        Channel ch = c.createChannel();
        String qn = q("alarm");
        ch.queueDeclare(qn, false, false, false, null);
        Connection reader = connect();
        Recorder r = new Recorder(reader.createChannel());
        r.getChannel().basicConsume(qn, true, r);
        try {
            broker.admin().setVmMemoryHighWatermark(0.000001);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort(e.getMessage());
        }
        try {
            ch.basicPublish("", qn, null, bytes("held-until-unblocked"));
            assertTrue(b.blocked.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection.blocked expected");
            assertTrue(b.reason.get().contains("memory"), b.reason.get());
            r.assertNoMoreWithin(QUIET);
            assertEquals(1, b.unblocked.getCount(), "not yet unblocked");
        } finally {
            broker.admin().setVmMemoryHighWatermark(0.4);
        }
        assertTrue(b.unblocked.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection.unblocked expected");
        assertEquals("held-until-unblocked", str(r.next().getBody()));
        assertUsable(c);
    }

    @Test
    void publisherIsBlockedWhenFreeDiskIsBelowTheLimit() throws Exception {
        assumeEmbedded("needs a node started with a disk_free_limit larger than any disk");
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("disk_free_limit.absolute", "1000000000000000"))) {
            ConnectionFactory f = factory();
            f.setPort(node.amqpPort());
            try (Connection c = f.newConnection()) {
                Blocking b = new Blocking();
                c.addBlockedListener(b);
                Channel ch = c.createChannel();
                String qn = ch.queueDeclare("", false, false, true, null).getQueue();
                ch.basicPublish("", qn, null, bytes("held"));
                assertTrue(b.blocked.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection.blocked expected");
                assertEquals("low on disk", b.reason.get());
                try (Connection reader = f.newConnection()) {
                    assertEquals(0, reader.createChannel().queueDeclarePassive(qn).getMessageCount(),
                            "publish must be held while the disk alarm is on");
                }
            }
        }
    }

    private static void setWatermark(double relative) {
        try {
            broker.admin().setVmMemoryHighWatermark(relative);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort(e.getMessage());
        }
    }

    private long ready(String queue) throws Exception {
        try (Connection reader = connect()) { // not a publisher: never blocked
            return reader.createChannel().queueDeclarePassive(queue).getMessageCount();
        }
    }

    @Test
    void publishesWrittenBeforeACleanCloseWhileBlockedReachTheQueue() throws Exception {
        String qn = q("alarm-close");
        channel().queueDeclare(qn, false, false, false, null);
        Connection c = connect();
        Blocking b = new Blocking();
        c.addBlockedListener(b);
        Channel ch = c.createChannel();
        setWatermark(0.000001);
        try {
            for (int i = 0; i < 20; i++) {
                ch.basicPublish("", qn, null, bytes("m" + i));
            }
            assertTrue(b.blocked.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection.blocked expected");
            assertEquals(0, ready(qn), "publishes are held while the alarm is on");
            // A clean close while still blocked: the node answers close-ok after routing what came before
            // (a bounded amount), rather than dropping it or leaving the client hanging.
            c.close((int) TIMEOUT.toMillis());
            assertEquals(20, ready(qn), "every publish written before the clean close must be in the queue");
        } finally {
            setWatermark(0.4);
        }
    }

    @Test
    void publishesReadWhileBlockedAreRoutedWhenThePublisherGoesAway() throws Exception {
        assumeEmbedded("Warren's bound on what it reads after the alarm");
        String qn = q("alarm-gone");
        channel().queueDeclare(qn, false, false, false, null);
        setWatermark(0.000001);
        try {
            try (RawAmqp raw = RawAmqp.open(broker.port())) {
                raw.openChannel(1);
                java.io.ByteArrayOutputStream publishes = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < 10; i++) {
                    byte[] body = bytes("gone-" + i);
                    publishes.write(RawAmqp.frame(RawAmqp.FRAME_METHOD, 1, RawAmqp.basicPublish("", qn), RawAmqp.FRAME_END));
                    publishes.write(RawAmqp.frame(RawAmqp.FRAME_HEADER, 1, RawAmqp.contentHeader(body.length),
                            RawAmqp.FRAME_END));
                    publishes.write(RawAmqp.frame(RawAmqp.FRAME_BODY, 1, body, RawAmqp.FRAME_END));
                }
                raw.writeRaw(publishes.toByteArray()); // whole frames, then the socket closes (no connection.close)
            }
            // What was read is not dropped: the publishes are routed (a bounded amount) once the socket is gone.
            await("10 publishes routed after the publisher left", () -> {
                try {
                    return ready(qn) == 10;
                } catch (Exception e) {
                    return false;
                }
            });
        } finally {
            setWatermark(0.4);
        }
    }
}
