package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.GetResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import org.junit.jupiter.api.Test;

/** Publisher confirms (confirm.select) and transactions (tx.*). */
class ConfirmAndTxIT extends AmqpIT {

    private String queue(Channel ch, String prefix, Map<String, Object> args) throws Exception {
        String qn = q(prefix);
        ch.queueDeclare(qn, false, false, false, args);
        return qn;
    }

    /** Records every confirmed sequence number, expanding multiple=true. */
    private static final class Confirms implements ConfirmListener {
        final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
        final ConcurrentSkipListSet<Long> nacked = new ConcurrentSkipListSet<>();
        volatile boolean sawMultiple;
        private long lowest = 1;

        private synchronized void record(ConcurrentSkipListSet<Long> into, long tag, boolean multiple) {
            if (multiple) {
                sawMultiple = true;
                for (long t = lowest; t <= tag; t++) {
                    if (!acked.contains(t) && !nacked.contains(t)) {
                        into.add(t);
                    }
                }
            } else {
                assertFalse(acked.contains(tag) || nacked.contains(tag), "confirmed twice: " + tag);
                into.add(tag);
            }
        }

        @Override
        public void handleAck(long tag, boolean multiple) {
            record(acked, tag, multiple);
        }

        @Override
        public void handleNack(long tag, boolean multiple) {
            record(nacked, tag, multiple);
        }

        int total() {
            return acked.size() + nacked.size();
        }
    }

    @Test
    void confirmSelectAcksEveryPublishInSequence() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "confirm", null);
        Confirms c = new Confirms();
        ch.addConfirmListener(c);
        ch.confirmSelect();
        assertEquals(1, ch.getNextPublishSeqNo());
        int n = 500;
        for (int i = 0; i < n; i++) {
            ch.basicPublish("", qn, null, bytes("m" + i));
        }
        assertEquals(n + 1, ch.getNextPublishSeqNo());
        await("all " + n + " confirmed", () -> c.total() == n);
        assertEquals(n, c.acked.size());
        assertEquals(1L, c.acked.first());
        assertEquals((long) n, c.acked.last());
        assertTrue(c.nacked.isEmpty());
        assertEquals(n, channel().queueDeclarePassive(qn).getMessageCount());
    }

    @Test
    void confirmsForUnroutableAndMultipleQueueMessagesAreAcks() throws Exception {
        Channel ch = channel();
        String ex = x("confirm-fan");
        ch.exchangeDeclare(ex, "fanout");
        String q1 = queue(ch, "cf1", null);
        String q2 = queue(ch, "cf2", null);
        ch.queueBind(q1, ex, "");
        ch.queueBind(q2, ex, "");
        ch.confirmSelect();
        ch.basicPublish(ex, "", null, bytes("two-queues"));
        ch.basicPublish("amq.direct", unique("nobody"), null, bytes("unroutable"));
        assertTrue(ch.waitForConfirms(TIMEOUT.toMillis()));
    }

    @Test
    void rejectPublishOverflowIsNacked() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "confirm-nack", Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
        Confirms c = new Confirms();
        ch.addConfirmListener(c);
        ch.confirmSelect();
        for (int i = 0; i < 5; i++) {
            ch.basicPublish("", qn, null, bytes("n" + i));
        }
        assertFalse(ch.waitForConfirms(TIMEOUT.toMillis()), "waitForConfirms is false when anything was nacked");
        await("5 confirms", () -> c.total() == 5);
        assertEquals(5, c.nacked.size());
        assertTrue(c.acked.isEmpty());
        assertNull(ch.basicGet(qn, true));
    }

    @Test
    void confirmSelectOnTransactionalChannelIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        ch.txSelect();
        assertChannelError(406, ch::confirmSelect);
        assertUsable(conn());
    }

    @Test
    void txSelectOnConfirmChannelIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        ch.confirmSelect();
        assertChannelError(406, ch::txSelect);
    }

    @Test
    void transactionalPublishesAreInvisibleUntilCommit() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "tx-pub", null);
        ch.txSelect();
        publish(ch, "", qn, "t1");
        publish(ch, "", qn, "t2");
        Channel observer = channel();
        assertEquals(0, observer.queueDeclarePassive(qn).getMessageCount());
        ch.txCommit();
        assertEquals(2, observer.queueDeclarePassive(qn).getMessageCount());
        assertEquals(List.of("t1", "t2"), drain(observer, qn));
    }

    @Test
    void transactionalPublishesAreDiscardedOnRollback() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "tx-rollback", null);
        ch.txSelect();
        publish(ch, "", qn, "lost");
        ch.txRollback();
        publish(ch, "", qn, "kept");
        ch.txCommit();
        assertEquals(List.of("kept"), drain(channel(), qn));
    }

    @Test
    void transactionalAcksAreHeldUntilCommit() throws Exception {
        Channel setup = channel();
        String qn = queue(setup, "tx-ack", null);
        publishConfirmed(setup, "", qn, null, "a", "b");
        Channel ch = channel();
        ch.txSelect();
        GetResponse a = ch.basicGet(qn, false);
        GetResponse b = ch.basicGet(qn, false);
        ch.basicAck(a.getEnvelope().getDeliveryTag(), false);
        ch.txRollback();
        // rollback discards the ack but the message stays unacked (not requeued) on this channel
        assertEquals(0, setup.queueDeclarePassive(qn).getMessageCount());
        ch.basicAck(b.getEnvelope().getDeliveryTag(), false);
        ch.txCommit();
        ch.close(); // 'a' was never committed as acked: requeued
        GetResponse left = setup.basicGet(qn, true);
        assertEquals("a", body(left));
        assertTrue(left.getEnvelope().isRedeliver());
        assertNull(setup.basicGet(qn, true));
    }

    @Test
    void uncommittedPublishesAreDiscardedWhenChannelCloses() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "tx-close", null);
        ch.txSelect();
        publish(ch, "", qn, "never");
        ch.close();
        assertEquals(0, channel().queueDeclarePassive(qn).getMessageCount());
    }

    @Test
    void txCommitWithoutSelectIsPreconditionFailed406() throws Exception {
        assertChannelError(406, () -> channel().txCommit());
        assertUsable(conn());
    }

    @Test
    void txRollbackWithoutSelectIsPreconditionFailed406() throws Exception {
        assertChannelError(406, () -> channel().txRollback());
    }

    @Test
    void transactionalPublishToMissingExchangeFailsChannel404() throws Exception {
        Channel ch = channel();
        ch.txSelect();
        ch.basicPublish(unique("missing"), "k", null, bytes("x"));
        // the error may surface on the publish (async) or on commit; either way the channel closes with 404
        try {
            ch.txCommit();
        } catch (Exception e) {
            // expected: channel closed
        }
        awaitChannelClosed(ch, 404);
    }
}
