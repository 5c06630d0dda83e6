package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** queue.declare / bind / purge / delete semantics, exclusivity and auto-delete. */
class QueueIT extends AmqpIT {

    /** 200 if a passive declare succeeds from the test connection, else the channel close code (404, 405). */
    private int passiveDeclareCode(String name) {
        try (Channel ch = conn().createChannel()) {
            ch.queueDeclarePassive(name);
            return 200;
        } catch (IOException e) {
            return replyCode(findSse(e));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean queueExists(String name) {
        int code = passiveDeclareCode(name);
        assertTrue(code == 200 || code == 404, "unexpected passive declare result " + code);
        return code == 200;
    }

    @Test
    void serverNamedQueueGetsAmqGenName() throws Exception {
        AMQP.Queue.DeclareOk ok = channel().queueDeclare("", false, true, true, null);
        assertTrue(ok.getQueue().startsWith("amq.gen-"), ok.getQueue());
        assertEquals(0, ok.getMessageCount());
        assertEquals(0, ok.getConsumerCount());
        AMQP.Queue.DeclareOk ok2 = channel().queueDeclare("", false, true, true, null);
        assertTrue(!ok.getQueue().equals(ok2.getQueue()), "server-named queues must be distinct");
    }

    @Test
    void declaringQueueWithAmqPrefixIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> channel().queueDeclare("amq." + unique("q"), false, false, false, null));
        assertUsable(conn());
    }

    @Test
    void declareOkReportsMessageAndConsumerCounts() throws Exception {
        Channel ch = channel();
        String qn = q("counts");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "1", "2", "3");
        AMQP.Queue.DeclareOk ok = ch.queueDeclare(qn, false, false, false, null);
        assertEquals(3, ok.getMessageCount());
        assertEquals(0, ok.getConsumerCount());
        Channel consumerCh = channel();
        consumerCh.basicQos(1);
        Recorder r = new Recorder(consumerCh);
        consumerCh.basicConsume(qn, false, r);
        r.next(); // one delivered and unacked: not counted as ready
        AMQP.Queue.DeclareOk passive = ch.queueDeclarePassive(qn);
        assertEquals(2, passive.getMessageCount(), "message count = ready messages only");
        assertEquals(1, passive.getConsumerCount());
    }

    @Test
    void passiveDeclareOfMissingQueueIsNotFound404() throws Exception {
        assertChannelError(404, () -> channel().queueDeclarePassive(unique("missing")));
        assertUsable(conn());
    }

    @Test
    void redeclareWithDifferentDurabilityIsPreconditionFailed406() throws Exception {
        String qn = q("dur");
        channel().queueDeclare(qn, true, false, false, null);
        assertChannelError(406, () -> channel().queueDeclare(qn, false, false, false, null));
        assertUsable(conn());
    }

    @Test
    void redeclareWithDifferentAutoDeleteIsPreconditionFailed406() throws Exception {
        String qn = q("ad");
        channel().queueDeclare(qn, false, false, false, null);
        assertChannelError(406, () -> channel().queueDeclare(qn, false, false, true, null));
    }

    @Test
    void exclusiveQueueIsLockedToOtherConnections405() throws Exception {
        String qn = q("excl");
        Channel owner = channel();
        owner.queueDeclare(qn, false, true, false, null);
        Connection other = connect();
        assertChannelError(405, () -> other.createChannel().queueDeclare(qn, false, true, false, null));
        assertChannelError(405, () -> other.createChannel().basicConsume(qn, true, new Recorder(null)));
        assertChannelError(405, () -> other.createChannel().basicGet(qn, true));
        assertChannelError(405, () -> other.createChannel().queuePurge(qn));
        assertChannelError(405, () -> other.createChannel().queueDelete(qn));
        assertUsable(other);
        // the owner still uses it freely, from another channel too
        publishConfirmed(channel(), "", qn, null, "mine");
        assertEquals(List.of("mine"), drain(channel(), qn));
    }

    @Test
    void exclusiveQueueIsDeletedWhenOwnerConnectionCloses() throws Exception {
        String qn = q("excl-gone");
        Connection owner = connect();
        owner.createChannel().queueDeclare(qn, false, true, false, null);
        assertEquals(405, passiveDeclareCode(qn), "another connection sees the exclusive queue as locked");
        owner.close();
        await("exclusive queue deleted after owner closed", () -> passiveDeclareCode(qn) == 404);
        channel().queueDeclare(qn, false, false, false, null); // name is free again, even non-exclusive
    }

    @Test
    void autoDeleteQueueIsDeletedWhenLastConsumerCancels() throws Exception {
        String qn = q("autodel");
        Channel ch = channel();
        ch.queueDeclare(qn, false, false, true, null);
        String t1 = ch.basicConsume(qn, true, new Recorder(ch));
        String t2 = ch.basicConsume(qn, true, new Recorder(ch));
        ch.basicCancel(t1);
        assertTrue(queueExists(qn), "one consumer left: queue must stay");
        ch.basicCancel(t2);
        await("auto-delete queue deleted after last cancel", () -> !queueExists(qn));
    }

    @Test
    void autoDeleteQueueWithoutConsumersEverStays() throws Exception {
        String qn = q("autodel-never");
        channel().queueDeclare(qn, false, false, true, null);
        publishConfirmed(channel(), "", qn, null, "x");
        assertTrue(queueExists(qn));
        assertEquals(1, channel().queueDeclarePassive(qn).getMessageCount());
    }

    @Test
    void autoDeleteQueueIsDeletedWhenConsumerChannelCloses() throws Exception {
        String qn = q("autodel-chclose");
        Channel ch = channel();
        ch.queueDeclare(qn, false, false, true, null);
        ch.basicConsume(qn, true, new Recorder(ch));
        ch.close();
        await("auto-delete queue deleted after consumer channel closed", () -> !queueExists(qn));
    }

    @Test
    void purgeReturnsCountAndEmptiesQueue() throws Exception {
        Channel ch = channel();
        String qn = q("purge");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "a", "b", "c", "d");
        assertEquals(4, ch.queuePurge(qn).getMessageCount());
        assertEquals(0, ch.queueDeclarePassive(qn).getMessageCount());
        assertEquals(0, ch.queuePurge(qn).getMessageCount());
    }

    @Test
    void purgeDoesNotTouchUnackedMessages() throws Exception {
        Channel ch = channel();
        String qn = q("purge-unacked");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "a", "b");
        var got = ch.basicGet(qn, false);
        assertEquals(1, ch.queuePurge(qn).getMessageCount());
        ch.basicReject(got.getEnvelope().getDeliveryTag(), true);
        assertEquals(List.of("a"), drain(ch, qn));
    }

    @Test
    void purgeOfMissingQueueIsNotFound404() throws Exception {
        assertChannelError(404, () -> channel().queuePurge(unique("missing")));
    }

    @Test
    void deleteReturnsMessageCount() throws Exception {
        Channel ch = channel();
        String qn = q("del");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "1", "2");
        assertEquals(2, ch.queueDelete(qn).getMessageCount());
        assertTrue(!queueExists(qn));
    }

    @Test
    void deleteOfMissingQueueIsOk() throws Exception {
        assertEquals(0, channel().queueDelete(unique("never")).getMessageCount());
    }

    @Test
    void deleteIfUnusedWithConsumerIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = q("ifunused");
        ch.queueDeclare(qn, false, false, false, null);
        String tag = ch.basicConsume(qn, true, new Recorder(ch));
        assertChannelError(406, () -> channel().queueDelete(qn, true, false));
        assertTrue(queueExists(qn));
        ch.basicCancel(tag);
        channel().queueDelete(qn, true, false);
        assertTrue(!queueExists(qn));
    }

    @Test
    void deleteIfEmptyWithMessagesIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = q("ifempty");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "m");
        assertChannelError(406, () -> channel().queueDelete(qn, false, true));
        assertEquals(1, channel().queueDeclarePassive(qn).getMessageCount());
        drain(channel(), qn);
        channel().queueDelete(qn, false, true);
        assertTrue(!queueExists(qn));
    }

    @Test
    void bindingMissingQueueIsNotFound404() throws Exception {
        assertChannelError(404, () -> channel().queueBind(unique("missing"), "amq.direct", "k"));
    }

    @Test
    void unbindingNonexistentBindingIsOk() throws Exception {
        Channel ch = channel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        ch.queueUnbind(qn, "amq.direct", "never-bound");
        assertUsable(conn());
    }

    @Test
    void deletingQueueRemovesItsBindings() throws Exception {
        Channel ch = channel();
        String qn = q("del-bind");
        String ex = x("del-bind-ex");
        ch.exchangeDeclare(ex, "fanout");
        ch.queueDeclare(qn, false, false, false, null);
        ch.queueBind(qn, ex, "");
        ch.queueDelete(qn);
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, ex, "", null, "after-recreate");
        assertEquals(0, ch.queueDeclarePassive(qn).getMessageCount(), "old binding must not survive queue deletion");
    }

    @Test
    void messagesAreDeliveredInFifoOrder() throws Exception {
        Channel ch = channel();
        String qn = q("fifo");
        ch.queueDeclare(qn, false, false, false, null);
        String[] bodies = new String[50];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = "m" + i;
        }
        publishConfirmed(ch, "", qn, null, bodies);
        assertEquals(List.of(bodies), drain(ch, qn));
    }
}
