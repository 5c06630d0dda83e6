package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Optional queue arguments: TTLs, expiry, length limits, dead-lettering, priorities, SAC, consumer priority. */
class QueueArgumentsIT extends AmqpIT {

    private String declare(Channel ch, String prefix, Map<String, Object> args) throws IOException {
        String qn = q(prefix);
        ch.queueDeclare(qn, false, false, false, args);
        return qn;
    }

    private int count(String qn) throws Exception {
        try (Channel ch = conn().createChannel()) {
            return ch.queueDeclarePassive(qn).getMessageCount();
        }
    }

    private boolean gone(String qn) {
        try (Channel ch = conn().createChannel()) {
            ch.queueDeclarePassive(qn);
            return false;
        } catch (IOException e) {
            assertEquals(404, replyCode(findSse(e)));
            return true;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static AMQP.BasicProperties expiration(String ms) {
        return new AMQP.BasicProperties.Builder().expiration(ms).build();
    }

    // ---------------------------------------------------------------- TTL & expiry

    @Test
    void queueMessageTtlExpiresMessages() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "ttl", Map.of("x-message-ttl", 100));
        publishConfirmed(ch, "", qn, null, "short-lived");
        await("message expired by x-message-ttl", () -> {
            try {
                return count(qn) == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertNull(ch.basicGet(qn, true));
    }

    @Test
    void perMessageExpirationExpiresThatMessageOnly() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "expiration", null);
        publishConfirmed(ch, "", qn, expiration("50"), "expiring");
        publishConfirmed(ch, "", qn, null, "keeper");
        await("expiring message at the head removed", () -> {
            try {
                return count(qn) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(List.of("keeper"), drain(ch, qn));
    }

    @Test
    void expiredMessageBehindHeadIsNotDeliveredWhenItReachesHead() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "expiration-behind", null);
        String probe = declare(ch, "expiration-probe", null);
        publishConfirmed(ch, "", qn, null, "keeper");
        publishConfirmed(ch, "", qn, expiration("1"), "expired");
        // wait until a 1 ms message in another queue has certainly expired: time has passed
        publishConfirmed(ch, "", probe, expiration("1"), "probe");
        await("probe expired", () -> {
            try {
                return count(probe) == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals("keeper", body(ch.basicGet(qn, true)));
        assertNull(ch.basicGet(qn, true), "an expired message must never be delivered");
    }

    @Test
    void messageTtlZeroDropsMessagesWithoutConsumers() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "ttl0", Map.of("x-message-ttl", 0));
        publishConfirmed(ch, "", qn, null, "gone");
        assertNull(ch.basicGet(qn, true));
    }

    @Test
    void invalidPerMessageExpirationIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "bad-expiration", null);
        ch.basicPublish("", qn, expiration("soon"), bytes("m"));
        awaitChannelClosed(ch, 406);
        assertUsable(conn());
    }

    @Test
    void unusedQueueWithXExpiresIsDeleted() throws Exception {
        String qn = declare(channel(), "xexpires", Map.of("x-expires", 200));
        assertTrue(!gone(qn));
        // A passive declare counts as use and renews the x-expires lease (RabbitMQ), so probe less often
        // than the expiry period.
        await("queue with x-expires deleted", TIMEOUT, java.time.Duration.ofMillis(700), () -> gone(qn));
    }

    // ---------------------------------------------------------------- length limits

    @Test
    void maxLengthDropsHeadByDefault() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "maxlen", Map.of("x-max-length", 2));
        publishConfirmed(ch, "", qn, null, "1", "2", "3");
        assertEquals(List.of("2", "3"), drain(ch, qn));
    }

    @Test
    void maxLengthBytesDropsHead() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "maxbytes", Map.of("x-max-length-bytes", 10, "x-overflow", "drop-head"));
        publishConfirmed(ch, "", qn, null, "aaaaa", "bbbbb", "ccccc");
        assertEquals(List.of("bbbbb", "ccccc"), drain(ch, qn));
    }

    @Test
    void maxLengthRejectPublishNacksOverflowingPublishes() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "reject-publish", Map.of("x-max-length", 2, "x-overflow", "reject-publish"));
        Set<Long> acked = new ConcurrentSkipListSet<>();
        Set<Long> nacked = new ConcurrentSkipListSet<>();
        CountDownLatch all = new CountDownLatch(3);
        ch.addConfirmListener(new RecordingConfirms(acked, nacked, all));
        ch.confirmSelect();
        for (String b : List.of("1", "2", "3")) {
            ch.basicPublish("", qn, null, bytes(b));
        }
        assertTrue(all.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "confirms for 3 publishes");
        assertEquals(Set.of(1L, 2L), acked);
        assertEquals(Set.of(3L), nacked);
        assertEquals(List.of("1", "2"), drain(ch, qn));
    }

    // ---------------------------------------------------------------- dead-lettering

    @SuppressWarnings("unchecked")
    private static Map<String, Object> onlyXDeath(AMQP.BasicProperties props) {
        assertNotNull(props.getHeaders(), "dead-lettered message has headers");
        Object xdeath = props.getHeaders().get("x-death");
        assertInstanceOf(List.class, xdeath, "x-death is an array");
        List<Object> list = (List<Object>) xdeath;
        assertEquals(1, list.size(), "x-death entries: " + list);
        assertInstanceOf(Map.class, list.get(0));
        return (Map<String, Object>) list.get(0);
    }

    private static String s(Object o) {
        return o == null ? null : o.toString();
    }

    @Test
    void rejectedMessageIsDeadLetteredWithXDeath() throws Exception {
        Channel ch = channel();
        String dlx = x("dlx");
        ch.exchangeDeclare(dlx, "direct");
        String dlq = declare(ch, "dlq", null);
        ch.queueBind(dlq, dlx, "dead");
        String src = x("dl-src");
        ch.exchangeDeclare(src, "direct");
        String qn = declare(ch, "dl-source", Map.of("x-dead-letter-exchange", dlx, "x-dead-letter-routing-key", "dead"));
        ch.queueBind(qn, src, "orig-key");
        publishConfirmed(ch, src, "orig-key", null, "doomed");
        GetResponse r = ch.basicGet(qn, false);
        ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
        Recorder rec = new Recorder(ch);
        ch.basicConsume(dlq, true, rec);
        Delivery d = rec.next();
        assertEquals("doomed", str(d.getBody()));
        assertEquals(dlx, d.getEnvelope().getExchange());
        assertEquals("dead", d.getEnvelope().getRoutingKey());
        Map<String, Object> death = onlyXDeath(d.getProperties());
        assertEquals(qn, s(death.get("queue")));
        assertEquals("rejected", s(death.get("reason")));
        assertEquals(1L, ((Number) death.get("count")).longValue());
        assertEquals(src, s(death.get("exchange")));
        assertEquals(List.of("orig-key"), ((List<?>) death.get("routing-keys")).stream().map(Object::toString).toList());
        assertNotNull(death.get("time"), "x-death time");
        Map<String, Object> h = d.getProperties().getHeaders();
        assertEquals("rejected", s(h.get("x-first-death-reason")));
        assertEquals(qn, s(h.get("x-first-death-queue")));
        assertEquals(src, s(h.get("x-first-death-exchange")));
    }

    @Test
    void nackedWithoutRequeueIsDeadLetteredKeepingRoutingKeyWhenNoneConfigured() throws Exception {
        Channel ch = channel();
        String dlx = x("dlx-fan");
        ch.exchangeDeclare(dlx, "fanout");
        String dlq = declare(ch, "dlq2", null);
        ch.queueBind(dlq, dlx, "");
        String qn = declare(ch, "dl-src2", Map.of("x-dead-letter-exchange", dlx));
        publishConfirmed(ch, "", qn, null, "nacked");
        GetResponse r = ch.basicGet(qn, false);
        ch.basicNack(r.getEnvelope().getDeliveryTag(), false, false);
        Recorder rec = new Recorder(ch);
        ch.basicConsume(dlq, true, rec);
        Delivery d = rec.next();
        assertEquals(qn, d.getEnvelope().getRoutingKey(), "original routing key kept");
        Map<String, Object> death = onlyXDeath(d.getProperties());
        assertEquals("rejected", s(death.get("reason")));
        assertEquals("", s(death.get("exchange")));
    }

    @Test
    void expiredMessageIsDeadLetteredWithReasonExpired() throws Exception {
        Channel ch = channel();
        String dlq = declare(ch, "dlq-exp", null);
        String qn = declare(ch, "dl-ttl", Map.of("x-message-ttl", 50, "x-dead-letter-exchange", "",
                "x-dead-letter-routing-key", dlq));
        publishConfirmed(ch, "", qn, expiration("10000"), "timed-out");
        Recorder rec = new Recorder(ch);
        ch.basicConsume(dlq, true, rec);
        Delivery d = rec.next();
        assertEquals("timed-out", str(d.getBody()));
        Map<String, Object> death = onlyXDeath(d.getProperties());
        assertEquals("expired", s(death.get("reason")));
        assertEquals(qn, s(death.get("queue")));
        assertNull(d.getProperties().getExpiration(), "expiration property is removed when dead-lettered");
        assertEquals("10000", s(death.get("original-expiration")));
    }

    @Test
    void overflowDropHeadIsDeadLetteredWithReasonMaxlen() throws Exception {
        Channel ch = channel();
        String dlq = declare(ch, "dlq-maxlen", null);
        String qn = declare(ch, "dl-maxlen", Map.of("x-max-length", 1, "x-dead-letter-exchange", "",
                "x-dead-letter-routing-key", dlq));
        publishConfirmed(ch, "", qn, null, "first", "second");
        Recorder rec = new Recorder(ch);
        ch.basicConsume(dlq, true, rec);
        Delivery d = rec.next();
        assertEquals("first", str(d.getBody()));
        assertEquals("maxlen", s(onlyXDeath(d.getProperties()).get("reason")));
        assertEquals(List.of("second"), drain(ch, qn));
    }

    @Test
    void deadLetteringTwiceFromSameQueueIncrementsXDeathCount() throws Exception {
        Channel ch = channel();
        String qn = q("dl-self");
        ch.queueDeclare(qn, false, false, false, Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", qn));
        publishConfirmed(ch, "", qn, null, "boomerang");
        for (int i = 1; i <= 2; i++) {
            Channel c = channel();
            GetResponse[] r = new GetResponse[1];
            await("message back in queue", () -> {
                try {
                    r[0] = c.basicGet(qn, false);
                    return r[0] != null;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            if (i == 2) {
                Map<String, Object> death = onlyXDeath(r[0].getProps());
                assertEquals(1L, ((Number) death.get("count")).longValue());
            }
            c.basicReject(r[0].getEnvelope().getDeliveryTag(), false);
        }
        Channel c = channel();
        GetResponse[] r = new GetResponse[1];
        await("message back in queue", () -> {
            try {
                r[0] = c.basicGet(qn, true);
                return r[0] != null;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Map<String, Object> death = onlyXDeath(r[0].getProps());
        assertEquals(2L, ((Number) death.get("count")).longValue());
        assertEquals("rejected", s(death.get("reason")));
    }

    @Test
    void deadLetterToMissingExchangeDropsMessage() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "dl-missing", Map.of("x-dead-letter-exchange", unique("no-such-dlx")));
        publishConfirmed(ch, "", qn, null, "m");
        GetResponse r = ch.basicGet(qn, false);
        ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
        assertEquals(0, count(qn));
        assertUsable(conn());
    }

    // ---------------------------------------------------------------- priorities & consumers

    @Test
    void maxPriorityQueueDeliversHighestPriorityFirst() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "prio", Map.of("x-max-priority", 10));
        ch.confirmSelect();
        int[] prios = {1, 5, 9, 0, 5, 200};
        for (int i = 0; i < prios.length; i++) {
            ch.basicPublish("", qn, new AMQP.BasicProperties.Builder().priority(prios[i]).build(), bytes("p" + prios[i] + "-" + i));
        }
        ch.basicPublish("", qn, null, bytes("none"));
        ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
        // priority above the max counts as the max (10, so above 9); no priority counts as 0
        assertEquals(List.of("p200-5", "p9-2", "p5-1", "p5-4", "p1-0", "p0-3", "none"), drain(ch, qn));
    }

    @Test
    void queueWithoutMaxPriorityIgnoresPriority() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "noprio", null);
        ch.confirmSelect();
        ch.basicPublish("", qn, new AMQP.BasicProperties.Builder().priority(1).build(), bytes("a"));
        ch.basicPublish("", qn, new AMQP.BasicProperties.Builder().priority(9).build(), bytes("b"));
        ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
        assertEquals(List.of("a", "b"), drain(ch, qn));
    }

    @Test
    void singleActiveConsumerGetsEverythingUntilItCancels() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "sac", Map.of("x-single-active-consumer", true));
        Channel c1 = channel();
        Channel c2 = channel();
        Recorder r1 = new Recorder(c1);
        Recorder r2 = new Recorder(c2);
        String t1 = c1.basicConsume(qn, true, r1);
        c2.basicConsume(qn, true, r2);
        publishConfirmed(ch, "", qn, null, "a", "b", "c");
        assertEquals(List.of("a", "b", "c"), r1.next(3).stream().map(d -> str(d.getBody())).toList());
        c1.basicCancel(t1);
        publishConfirmed(ch, "", qn, null, "d");
        assertEquals("d", str(r2.next().getBody()));
        r2.assertNoMoreWithin(QUIET);
        assertEquals(0, r1.deliveries.size());
    }

    @Test
    void consumerPriorityPrefersHigherPriorityConsumer() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "cprio", null);
        Channel lowCh = channel();
        Channel highCh = channel();
        Recorder low = new Recorder(lowCh);
        Recorder high = new Recorder(highCh);
        lowCh.basicConsume(qn, false, "", false, false, Map.of("x-priority", 1), low);
        highCh.basicConsume(qn, false, "", false, false, Map.of("x-priority", 10), high);
        publishConfirmed(ch, "", qn, null, "1", "2", "3", "4");
        assertEquals(4, high.next(4).size());
        assertEquals(0, low.deliveries.size(), "low-priority consumer got messages while high one was available");
    }

    @Test
    void consumerPriorityFallsBackWhenHighPriorityConsumerIsFull() throws Exception {
        Channel ch = channel();
        String qn = declare(ch, "cprio-full", null);
        Channel lowCh = channel();
        Channel highCh = channel();
        highCh.basicQos(1);
        Recorder low = new Recorder(lowCh);
        Recorder high = new Recorder(highCh);
        lowCh.basicConsume(qn, false, "", false, false, Map.of("x-priority", 1), low);
        highCh.basicConsume(qn, false, "", false, false, Map.of("x-priority", 10), high);
        publishConfirmed(ch, "", qn, null, "1", "2", "3");
        assertEquals("1", str(high.next().getBody()));
        assertEquals(List.of("2", "3"), low.next(2).stream().map(d -> str(d.getBody())).toList());
    }

    // ---------------------------------------------------------------- validation

    private void assertInvalidArgument(String key, Object value) throws Exception {
        Map<String, Object> args = new HashMap<>();
        args.put(key, value);
        String qn = q("badarg");
        assertChannelError(406, () -> channel().queueDeclare(qn, false, false, false, args));
        assertTrue(gone(qn), "queue must not be created with invalid " + key);
    }

    @Test
    void invalidArgumentValuesArePreconditionFailed406() throws Exception {
        assertInvalidArgument("x-max-length", "ten");
        assertInvalidArgument("x-max-length", -1);
        assertInvalidArgument("x-max-length-bytes", -5);
        assertInvalidArgument("x-message-ttl", -1);
        assertInvalidArgument("x-message-ttl", "1000");
        assertInvalidArgument("x-expires", 0);
        assertInvalidArgument("x-overflow", "explode");
        assertInvalidArgument("x-max-priority", -1);
        assertInvalidArgument("x-max-priority", 256);
        assertInvalidArgument("x-dead-letter-exchange", 42);
        assertInvalidArgument("x-single-active-consumer", "yes");
        assertUsable(conn());
    }

    @Test
    void deadLetterRoutingKeyWithoutExchangeIsPreconditionFailed406() throws Exception {
        assertInvalidArgument("x-dead-letter-routing-key", "rk");
    }

    @Test
    void redeclareWithDifferentArgumentsIsPreconditionFailed406() throws Exception {
        String qn = declare(channel(), "args-eq", Map.of("x-message-ttl", 1000));
        assertChannelError(406, () -> channel().queueDeclare(qn, false, false, false, Map.of("x-message-ttl", 2000)));
        channel().queueDeclare(qn, false, false, false, Map.of("x-message-ttl", 1000));
    }

    @Test
    void unknownQueueArgumentsAreAccepted() throws Exception {
        String qn = declare(channel(), "unknown-arg", Map.of("x-something-custom", "v", "plain", 1));
        assertTrue(!gone(qn));
    }

    private static final class RecordingConfirms implements ConfirmListener {
        private final Set<Long> acked;
        private final Set<Long> nacked;
        private final CountDownLatch all;
        private final List<Long> seen = new ArrayList<>();

        RecordingConfirms(Set<Long> acked, Set<Long> nacked, CountDownLatch all) {
            this.acked = acked;
            this.nacked = nacked;
            this.all = all;
        }

        private synchronized void record(Set<Long> into, long tag, boolean multiple) {
            long from = multiple ? 1 : tag;
            for (long t = from; t <= tag; t++) {
                if (!seen.contains(t)) {
                    seen.add(t);
                    into.add(t);
                    all.countDown();
                }
            }
        }

        @Override
        public void handleAck(long deliveryTag, boolean multiple) {
            record(acked, deliveryTag, multiple);
        }

        @Override
        public void handleNack(long deliveryTag, boolean multiple) {
            record(nacked, deliveryTag, multiple);
        }
    }
}
