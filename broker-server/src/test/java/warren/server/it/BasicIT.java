package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.Return;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** basic.* methods: publish/return, get, consume/cancel, acks, recover, qos, exclusive consumers, errors. */
class BasicIT extends AmqpIT {

    private String queue(Channel ch, String prefix) throws Exception {
        String qn = q(prefix);
        ch.queueDeclare(qn, false, false, false, null);
        return qn;
    }

    private static List<String> bodies(List<Delivery> ds) {
        return ds.stream().map(d -> str(d.getBody())).toList();
    }

    // ---------------------------------------------------------------- publish

    @Test
    void mandatoryUnroutableMessageIsReturnedWith312NoRoute() throws Exception {
        Channel ch = channel();
        String ex = x("mand");
        ch.exchangeDeclare(ex, "direct");
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        ch.addReturnListener(returns::add);
        ch.confirmSelect();
        ch.basicPublish(ex, "no-binding", true, new AMQP.BasicProperties.Builder().messageId("m-1").build(), bytes("back"));
        Return r = returns.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(r, "basic.return expected");
        assertEquals(312, r.getReplyCode());
        assertEquals("NO_ROUTE", r.getReplyText());
        assertEquals(ex, r.getExchange());
        assertEquals("no-binding", r.getRoutingKey());
        assertEquals("back", str(r.getBody()));
        assertEquals("m-1", r.getProperties().getMessageId());
        assertTrue(ch.waitForConfirms(TIMEOUT.toMillis()), "an unroutable message is still confirmed with ack");
    }

    @Test
    void mandatoryUnroutableOnDefaultExchangeIsReturned() throws Exception {
        Channel ch = channel();
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        ch.addReturnListener(returns::add);
        ch.basicPublish("", unique("no-such-queue"), true, null, bytes("x"));
        Return r = returns.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(r);
        assertEquals(312, r.getReplyCode());
    }

    @Test
    void nonMandatoryUnroutableMessageIsDroppedSilently() throws Exception {
        Channel ch = channel();
        BlockingQueue<Return> returns = new LinkedBlockingQueue<>();
        ch.addReturnListener(returns::add);
        publishConfirmed(ch, "amq.direct", unique("nobody"), null, "dropped");
        assertTrue(ch.isOpen());
        assertNull(returns.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Test
    void immediateFlagIsConnectionError540NotImplemented() throws Exception {
        Connection c = connect();
        Channel ch = c.createChannel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        ch.basicPublish("", qn, false, true, null, bytes("now"));
        awaitConnectionClosed(c, 540);
    }

    @Test
    void publishToMissingExchangeIs404AndConnectionStillWorks() throws Exception {
        Connection c = connect();
        Channel bad = c.createChannel();
        bad.basicPublish(unique("missing-ex"), "k", null, bytes("m"));
        ShutdownSignalExceptionAssert.message(awaitChannelClosed(bad, 404), "NOT_FOUND");
        assertTrue(c.isOpen());
        assertUsable(c);
    }

    @Test
    void channelErrorDoesNotAffectOtherConnections() throws Exception {
        Connection a = connect();
        Connection b = connect();
        Channel bch = b.createChannel();
        String qn = queue(bch, "iso");
        Recorder r = new Recorder(bch);
        bch.basicConsume(qn, true, r);
        Channel bad = a.createChannel();
        assertChannelError(404, () -> bad.queueDeclarePassive(unique("missing")));
        publishConfirmed(a.createChannel(), "", qn, null, "after-error");
        assertEquals("after-error", str(r.next().getBody()));
        assertTrue(b.isOpen());
        assertTrue(bch.isOpen());
        assertUsable(a);
    }

    @Test
    void channelErrorDoesNotAffectOtherChannelsOfSameConnection() throws Exception {
        Connection c = connect();
        Channel good = c.createChannel();
        String qn = queue(good, "iso-ch");
        Recorder r = new Recorder(good);
        good.basicConsume(qn, true, r);
        Channel bad = c.createChannel();
        assertChannelError(404, () -> bad.exchangeDeclarePassive(unique("nope")));
        publishConfirmed(c.createChannel(), "", qn, null, "still-here");
        assertEquals("still-here", str(r.next().getBody()));
        assertTrue(good.isOpen());
    }

    @Test
    void messagePropertiesAndBodyRoundTrip() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "props");
        Date ts = new Date((System.currentTimeMillis() / 1000) * 1000);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .contentType("application/json").contentEncoding("utf-8")
                .headers(Map.of("h-str", "v", "h-int", 42, "h-bool", true, "h-list", List.of("a", 1)))
                .deliveryMode(2).priority(3).correlationId("corr").replyTo("reply-q").expiration("60000")
                .messageId("mid").timestamp(ts).type("t").userId("guest").appId("app").build();
        byte[] body = new byte[300_000]; // several frames at frame_max 128 KiB
        new Random(7).nextBytes(body);
        ch.confirmSelect();
        ch.basicPublish("", qn, props, body);
        ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
        GetResponse r = ch.basicGet(qn, true);
        assertNotNull(r);
        assertArrayEquals(body, r.getBody());
        AMQP.BasicProperties p = r.getProps();
        assertEquals("application/json", p.getContentType());
        assertEquals("utf-8", p.getContentEncoding());
        assertEquals("v", p.getHeaders().get("h-str").toString());
        assertEquals(42, ((Number) p.getHeaders().get("h-int")).intValue());
        assertEquals(Boolean.TRUE, p.getHeaders().get("h-bool"));
        assertEquals(2, ((List<?>) p.getHeaders().get("h-list")).size());
        assertEquals(2, p.getDeliveryMode());
        assertEquals(3, p.getPriority());
        assertEquals("corr", p.getCorrelationId());
        assertEquals("reply-q", p.getReplyTo());
        assertEquals("60000", p.getExpiration());
        assertEquals("mid", p.getMessageId());
        assertEquals(ts, p.getTimestamp());
        assertEquals("t", p.getType());
        assertEquals("guest", p.getUserId());
        assertEquals("app", p.getAppId());
    }

    @Test
    void emptyBodyRoundTrips() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "empty");
        publishConfirmed(ch, "", qn, null, "");
        GetResponse r = ch.basicGet(qn, true);
        assertNotNull(r);
        assertEquals(0, r.getBody().length);
    }

    @Test
    void userIdPropertyNotMatchingConnectionUserIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "userid");
        ch.basicPublish("", qn, new AMQP.BasicProperties.Builder().userId("someone-else").build(), bytes("m"));
        awaitChannelClosed(ch, 406);
    }

    // ---------------------------------------------------------------- get

    @Test
    void basicGetReturnsMessageAndRemainingCountThenEmpty() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "get");
        publishConfirmed(ch, "", qn, null, "1", "2");
        GetResponse r1 = ch.basicGet(qn, true);
        assertEquals("1", body(r1));
        assertEquals(1, r1.getMessageCount(), "remaining messages");
        assertEquals("", r1.getEnvelope().getExchange());
        assertEquals(qn, r1.getEnvelope().getRoutingKey());
        assertFalse(r1.getEnvelope().isRedeliver());
        GetResponse r2 = ch.basicGet(qn, true);
        assertEquals("2", body(r2));
        assertEquals(0, r2.getMessageCount());
        assertNull(ch.basicGet(qn, true), "basic.get-empty expected");
    }

    @Test
    void basicGetOnMissingQueueIs404() throws Exception {
        assertChannelError(404, () -> channel().basicGet(unique("missing"), true));
        assertUsable(conn());
    }

    // ---------------------------------------------------------------- consume / cancel

    @Test
    void consumeDeliversAndCancelStopsDeliveries() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "consume");
        Recorder r = new Recorder(ch);
        String tag = ch.basicConsume(qn, true, "my-tag", r);
        assertEquals("my-tag", tag);
        publishConfirmed(channel(), "", qn, null, "a", "b");
        List<Delivery> ds = r.next(2);
        assertEquals(List.of("a", "b"), bodies(ds));
        assertEquals(1, ds.get(0).getEnvelope().getDeliveryTag());
        assertEquals(2, ds.get(1).getEnvelope().getDeliveryTag());
        ch.basicCancel(tag);
        publishConfirmed(channel(), "", qn, null, "c");
        r.assertNoMoreWithin(QUIET);
        assertEquals(List.of("c"), drain(ch, qn));
    }

    @Test
    void serverGeneratedConsumerTagIsAmqCtag() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "ctag");
        String tag = ch.basicConsume(qn, true, new Recorder(ch));
        assertTrue(tag.startsWith("amq.ctag-"), tag);
    }

    @Test
    void consumerIsCancelledByServerWhenQueueIsDeleted() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "cancel-notify");
        Recorder r = new Recorder(ch);
        ch.basicConsume(qn, true, r);
        channel().queueDelete(qn);
        assertTrue(r.cancelledByServer.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "basic.cancel from server");
        assertTrue(ch.isOpen());
        assertUsable(conn());
    }

    @Test
    void consumingMissingQueueIs404() throws Exception {
        assertChannelError(404, () -> channel().basicConsume(unique("missing"), true, new Recorder(null)));
    }

    @Test
    void exclusiveConsumerBlocksOtherConsumers403() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "excl-consumer");
        ch.basicConsume(qn, true, "", false, true, null, new Recorder(ch));
        assertChannelError(403, () -> channel().basicConsume(qn, true, new Recorder(null)));
        assertUsable(conn());
    }

    @Test
    void exclusiveConsumeOnQueueWithConsumersIs403() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "excl-consumer2");
        ch.basicConsume(qn, true, new Recorder(ch));
        assertChannelError(403, () -> channel().basicConsume(qn, true, "", false, true, null, new Recorder(null)));
    }

    @Test
    void reusingConsumerTagOnChannelIsConnectionError530() throws Exception {
        Connection c = connect();
        Channel ch = c.createChannel();
        String qn = queue(ch, "dup-tag");
        ch.basicConsume(qn, true, "dup", new Recorder(ch));
        assertConnectionError(530, () -> ch.basicConsume(qn, true, "dup", new Recorder(ch)));
        assertFalse(c.isOpen());
    }

    @Test
    void sameConsumerTagOnDifferentChannelsIsFine() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "tag-2ch");
        ch.basicConsume(qn, true, "same", new Recorder(ch));
        Channel ch2 = channel();
        assertEquals("same", ch2.basicConsume(qn, true, "same", new Recorder(ch2)));
    }

    // ---------------------------------------------------------------- acks

    @Test
    void ackMultipleAcknowledgesAllUpToTag() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "ack-multi");
        publishConfirmed(channel(), "", qn, null, "1", "2", "3", "4");
        Recorder r = new Recorder(ch);
        ch.basicConsume(qn, false, r);
        List<Delivery> ds = r.next(4);
        ch.basicAck(ds.get(2).getEnvelope().getDeliveryTag(), true); // 1..3
        ch.close(); // unacked 4 goes back
        Channel ch2 = channel();
        GetResponse left = ch2.basicGet(qn, true);
        assertEquals("4", body(left));
        assertTrue(left.getEnvelope().isRedeliver());
        assertNull(ch2.basicGet(qn, true));
    }

    @Test
    void nackMultipleWithRequeueRedeliversWithRedeliveredFlag() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "nack-multi");
        publishConfirmed(channel(), "", qn, null, "1", "2", "3");
        GetResponse g1 = ch.basicGet(qn, false);
        GetResponse g2 = ch.basicGet(qn, false);
        GetResponse g3 = ch.basicGet(qn, false);
        assertFalse(g1.getEnvelope().isRedeliver());
        ch.basicNack(g2.getEnvelope().getDeliveryTag(), true, true); // 1 and 2
        ch.basicAck(g3.getEnvelope().getDeliveryTag(), false);
        GetResponse r1 = ch.basicGet(qn, true);
        GetResponse r2 = ch.basicGet(qn, true);
        assertEquals(List.of("1", "2"), List.of(body(r1), body(r2)), "requeued messages keep their order");
        assertTrue(r1.getEnvelope().isRedeliver());
        assertTrue(r2.getEnvelope().isRedeliver());
        assertNull(ch.basicGet(qn, true));
    }

    @Test
    void nackWithoutRequeueDiscards() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "nack-drop");
        publishConfirmed(ch, "", qn, null, "1");
        GetResponse g = ch.basicGet(qn, false);
        ch.basicNack(g.getEnvelope().getDeliveryTag(), false, false);
        assertNull(ch.basicGet(qn, true));
    }

    @Test
    void rejectWithRequeueRedelivers() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "reject");
        publishConfirmed(ch, "", qn, null, "r");
        Recorder rec = new Recorder(ch);
        ch.basicConsume(qn, false, rec);
        Delivery first = rec.next();
        assertFalse(first.getEnvelope().isRedeliver());
        ch.basicReject(first.getEnvelope().getDeliveryTag(), true);
        Delivery again = rec.next();
        assertEquals("r", str(again.getBody()));
        assertTrue(again.getEnvelope().isRedeliver());
        assertTrue(again.getEnvelope().getDeliveryTag() > first.getEnvelope().getDeliveryTag());
        ch.basicReject(again.getEnvelope().getDeliveryTag(), false);
        rec.assertNoMoreWithin(QUIET);
    }

    @Test
    void ackWithUnknownDeliveryTagIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        ch.basicAck(999, false);
        ShutdownSignalExceptionAssert.message(awaitChannelClosed(ch, 406), "PRECONDITION_FAILED");
        assertUsable(conn());
    }

    @Test
    void doubleAckIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "double-ack");
        publishConfirmed(ch, "", qn, null, "m");
        GetResponse g = ch.basicGet(qn, false);
        ch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        ch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        awaitChannelClosed(ch, 406);
        assertEquals(0, channel().queueDeclarePassive(qn).getMessageCount());
    }

    @Test
    void rejectAndNackWithUnknownTagArePreconditionFailed406() throws Exception {
        Channel ch = channel();
        ch.basicReject(5, true);
        awaitChannelClosed(ch, 406);
        Channel ch2 = channel();
        ch2.basicNack(7, true, true);
        awaitChannelClosed(ch2, 406);
        assertUsable(conn());
    }

    @Test
    void ackOnAutoAckDeliveryIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "ack-noack");
        publishConfirmed(ch, "", qn, null, "m");
        GetResponse g = ch.basicGet(qn, true);
        ch.basicAck(g.getEnvelope().getDeliveryTag(), false);
        awaitChannelClosed(ch, 406);
    }

    @Test
    void closingChannelRequeuesUnackedMessagesAsRedelivered() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "close-requeue");
        publishConfirmed(ch, "", qn, null, "1", "2");
        Channel consumer = channel();
        Recorder r = new Recorder(consumer);
        consumer.basicConsume(qn, false, r);
        r.next(2);
        consumer.close();
        GetResponse g = ch.basicGet(qn, true);
        assertEquals("1", body(g));
        assertTrue(g.getEnvelope().isRedeliver());
    }

    @Test
    void recoverWithRequeueRedeliversUnacked() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "recover");
        publishConfirmed(channel(), "", qn, null, "1", "2");
        Recorder r = new Recorder(ch);
        ch.basicConsume(qn, false, r);
        List<Delivery> first = r.next(2);
        ch.basicAck(first.get(0).getEnvelope().getDeliveryTag(), false);
        ch.basicRecover(true);
        Delivery again = r.next();
        assertEquals("2", str(again.getBody()));
        assertTrue(again.getEnvelope().isRedeliver());
        ch.basicAck(again.getEnvelope().getDeliveryTag(), false);
        r.assertNoMoreWithin(QUIET);
    }

    // ---------------------------------------------------------------- qos

    @Test
    void perConsumerPrefetchDeliversExactlyNUnacked() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "prefetch");
        String[] bodies = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
        publishConfirmed(channel(), "", qn, null, bodies);
        ch.basicQos(3);
        Recorder r = new Recorder(ch);
        ch.basicConsume(qn, false, r);
        List<Delivery> got = r.next(3);
        r.assertNoMoreWithin(QUIET);
        assertEquals(7, channel().queueDeclarePassive(qn).getMessageCount());
        ch.basicAck(got.get(0).getEnvelope().getDeliveryTag(), false);
        assertEquals("4", str(r.next().getBody()));
        r.assertNoMoreWithin(QUIET);
        ch.basicAck(got.get(2).getEnvelope().getDeliveryTag(), true); // acks 2 and 3
        assertEquals(List.of("5", "6"), bodies(r.next(2)));
        r.assertNoMoreWithin(QUIET);
    }

    @Test
    void perConsumerPrefetchAppliesToEachConsumerOnChannel() throws Exception {
        Channel ch = channel();
        String q1 = queue(ch, "pc1");
        String q2 = queue(ch, "pc2");
        publishConfirmed(channel(), "", q1, null, "a", "b", "c");
        publishConfirmed(channel(), "", q2, null, "x", "y", "z");
        ch.basicQos(2, false);
        Recorder r1 = new Recorder(ch);
        Recorder r2 = new Recorder(ch);
        ch.basicConsume(q1, false, r1);
        ch.basicConsume(q2, false, r2);
        assertEquals(List.of("a", "b"), bodies(r1.next(2)));
        assertEquals(List.of("x", "y"), bodies(r2.next(2)));
        r1.assertNoMoreWithin(QUIET);
        r2.assertNoMoreWithin(QUIET);
    }

    @Test
    void globalPrefetchIsSharedByAllConsumersOnChannel() throws Exception {
        Channel ch = channel();
        String q1 = queue(ch, "g1");
        String q2 = queue(ch, "g2");
        publishConfirmed(channel(), "", q1, null, "a", "b", "c");
        publishConfirmed(channel(), "", q2, null, "x", "y", "z");
        ch.basicQos(3, true);
        Recorder r1 = new Recorder(ch);
        Recorder r2 = new Recorder(ch);
        ch.basicConsume(q1, false, r1);
        ch.basicConsume(q2, false, r2);
        await("3 deliveries in total", () -> r1.deliveries.size() + r2.deliveries.size() >= 3);
        assertNever("a 4th delivery beyond global prefetch", QUIET, () -> r1.deliveries.size() + r2.deliveries.size() > 3);
        int ready = channel().queueDeclarePassive(q1).getMessageCount() + channel().queueDeclarePassive(q2).getMessageCount();
        assertEquals(3, ready);
    }

    @Test
    void prefetchDoesNotLimitBasicGet() throws Exception {
        Channel ch = channel();
        String qn = queue(ch, "qos-get");
        publishConfirmed(ch, "", qn, null, "1", "2", "3");
        ch.basicQos(1);
        assertNotNull(ch.basicGet(qn, false));
        assertNotNull(ch.basicGet(qn, false));
        assertNotNull(ch.basicGet(qn, false));
    }

    /** Tiny helper for assertions about shutdown messages. */
    static final class ShutdownSignalExceptionAssert {
        static void message(com.rabbitmq.client.ShutdownSignalException sse, String replyTextPrefix) {
            String text = sse.getReason() instanceof AMQP.Channel.Close cc ? cc.getReplyText()
                    : ((AMQP.Connection.Close) sse.getReason()).getReplyText();
            assertTrue(text.startsWith(replyTextPrefix), "reply text " + text);
        }
    }

}
