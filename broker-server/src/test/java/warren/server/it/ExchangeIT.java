package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Exchange types, routing, predeclared exchanges, declare/delete rules, e2e bindings, AE, internal. */
class ExchangeIT extends AmqpIT {

    /** A server-named exclusive queue bound to exchange with key (and optional args). */
    private String boundQueue(Channel ch, String exchange, String key, Map<String, Object> args) throws Exception {
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        ch.queueBind(qn, exchange, key, args);
        return qn;
    }

    private String boundQueue(Channel ch, String exchange, String key) throws Exception {
        return boundQueue(ch, exchange, key, null);
    }

    private static AMQP.BasicProperties headers(Map<String, Object> h) {
        return new AMQP.BasicProperties.Builder().headers(h).build();
    }

    @Test
    void directExchangeRoutesOnExactKey() throws Exception {
        Channel ch = channel();
        String ex = x("direct");
        ch.exchangeDeclare(ex, BuiltinExchangeType.DIRECT);
        String qa = boundQueue(ch, ex, "a");
        String qb = boundQueue(ch, ex, "b");
        String qa2 = boundQueue(ch, ex, "a");
        publishConfirmed(ch, ex, "a", null, "to-a");
        publishConfirmed(ch, ex, "A", null, "case-sensitive");
        assertEquals(List.of("to-a"), drain(ch, qa));
        assertEquals(List.of("to-a"), drain(ch, qa2));
        assertEquals(List.of(), drain(ch, qb));
    }

    @Test
    void sameQueueBoundTwiceGetsOneCopy() throws Exception {
        Channel ch = channel();
        String ex = x("fan-dup");
        ch.exchangeDeclare(ex, BuiltinExchangeType.TOPIC);
        String qn = boundQueue(ch, ex, "a.*");
        ch.queueBind(qn, ex, "#");
        publishConfirmed(ch, ex, "a.b", null, "once");
        assertEquals(List.of("once"), drain(ch, qn));
    }

    @Test
    void fanoutExchangeIgnoresRoutingKey() throws Exception {
        Channel ch = channel();
        String ex = x("fanout");
        ch.exchangeDeclare(ex, BuiltinExchangeType.FANOUT);
        String q1 = boundQueue(ch, ex, "x");
        String q2 = boundQueue(ch, ex, "");
        publishConfirmed(ch, ex, "whatever", null, "m");
        assertEquals(List.of("m"), drain(ch, q1));
        assertEquals(List.of("m"), drain(ch, q2));
    }

    @Test
    void topicExchangeMatchesStarHashAndEmptyWords() throws Exception {
        Channel ch = channel();
        String ex = x("topic");
        ch.exchangeDeclare(ex, BuiltinExchangeType.TOPIC);
        Map<String, String> patterns = new LinkedHashMap<>();
        for (String p : List.of("a.*.c", "a.#", "#", "*", "*.b.*", "a.#.c", "#.c", "a..c", "", "a.b.c")) {
            patterns.put(p, boundQueue(ch, ex, p));
        }
        // routing key -> patterns that must match it (all others must not)
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("a.b.c", List.of("a.*.c", "a.#", "#", "*.b.*", "a.#.c", "#.c", "a.b.c"));
        expected.put("a", List.of("a.#", "#", "*"));
        expected.put("a.c", List.of("a.#", "#", "a.#.c", "#.c"));
        expected.put("a.x.y.c", List.of("a.#", "#", "a.#.c", "#.c"));
        expected.put("a..c", List.of("a.*.c", "a.#", "#", "a.#.c", "#.c", "a..c"));
        expected.put("", List.of("#", ""));
        expected.put("b", List.of("#", "*"));
        expected.put("x.b.y", List.of("#", "*.b.*"));
        for (var e : expected.entrySet()) {
            publishConfirmed(ch, ex, e.getKey(), null, "key=" + e.getKey());
            for (var p : patterns.entrySet()) {
                List<String> got = drain(ch, p.getValue());
                List<String> want = e.getValue().contains(p.getKey()) ? List.of("key=" + e.getKey()) : List.of();
                assertEquals(want, got, "routing key '" + e.getKey() + "' vs binding '" + p.getKey() + "'");
            }
        }
    }

    @Test
    void headersExchangeAllAndAny() throws Exception {
        Channel ch = channel();
        String ex = x("headers");
        ch.exchangeDeclare(ex, BuiltinExchangeType.HEADERS);
        String all = boundQueue(ch, ex, "", Map.of("x-match", "all", "a", "1", "b", "2"));
        String any = boundQueue(ch, ex, "", Map.of("x-match", "any", "a", "1", "b", "2"));
        String dflt = boundQueue(ch, ex, "", Map.of("a", "1", "b", "2")); // default x-match is all

        publishConfirmed(ch, ex, "", headers(Map.of("a", "1", "b", "2", "c", "3")), "both");
        publishConfirmed(ch, ex, "", headers(Map.of("a", "1")), "only-a");
        publishConfirmed(ch, ex, "", headers(Map.of("a", "2", "b", "3")), "wrong-values");
        publishConfirmed(ch, ex, "", null, "no-headers");
        assertEquals(List.of("both"), drain(ch, all));
        assertEquals(List.of("both", "only-a"), drain(ch, any));
        assertEquals(List.of("both"), drain(ch, dflt));
    }

    @Test
    void headersExchangeIgnoresXHeadersUnlessWithX() throws Exception {
        Channel ch = channel();
        String ex = x("headers-x");
        ch.exchangeDeclare(ex, BuiltinExchangeType.HEADERS);
        String all = boundQueue(ch, ex, "", Map.of("x-match", "all", "x-k", "v"));
        String any = boundQueue(ch, ex, "", Map.of("x-match", "any", "x-k", "v", "k", "other"));
        String allWithX = boundQueue(ch, ex, "", Map.of("x-match", "all-with-x", "x-k", "v", "k", "w"));
        String anyWithX = boundQueue(ch, ex, "", Map.of("x-match", "any-with-x", "x-k", "v", "k", "other"));

        publishConfirmed(ch, ex, "", headers(Map.of("x-k", "v", "k", "w")), "m1");
        publishConfirmed(ch, ex, "", headers(Map.of("x-k", "v")), "m2");
        // all/any skip x- prefixed binding args: "all" with only x- args matches everything; "any" needs k=other
        assertEquals(List.of("m1", "m2"), drain(ch, all));
        assertEquals(List.of(), drain(ch, any));
        assertEquals(List.of("m1"), drain(ch, allWithX));
        assertEquals(List.of("m1", "m2"), drain(ch, anyWithX));
    }

    @Test
    void headersExchangeValueWithoutValueTypeMatchesOnPresence() throws Exception {
        Channel ch = channel();
        String ex = x("headers-void");
        ch.exchangeDeclare(ex, BuiltinExchangeType.HEADERS);
        Map<String, Object> args = new HashMap<>();
        args.put("x-match", "all");
        args.put("flag", null); // void value: header must be present, any value
        String qn = boundQueue(ch, ex, "", args);
        publishConfirmed(ch, ex, "", headers(Map.of("flag", "anything")), "present");
        publishConfirmed(ch, ex, "", headers(Map.of("other", "1")), "absent");
        assertEquals(List.of("present"), drain(ch, qn));
    }

    @Test
    void defaultExchangeRoutesByQueueName() throws Exception {
        Channel ch = channel();
        String qn = q("dflt");
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "direct-to-queue");
        assertEquals(List.of("direct-to-queue"), drain(ch, qn));
    }

    @Test
    void bindingToDefaultExchangeIsAccessRefused403() throws Exception {
        Channel ch = channel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        assertChannelError(403, () -> ch.queueBind(qn, "", "k"));
        assertUsable(conn());
    }

    @Test
    void unbindingFromDefaultExchangeIsAccessRefused403() throws Exception {
        Channel ch = channel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        assertChannelError(403, () -> ch.queueUnbind(qn, "", qn));
    }

    @Test
    void deletingDefaultOrPredeclaredExchangeIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> channel().exchangeDelete("amq.direct"));
        assertChannelError(403, () -> channel().exchangeDelete(""));
        assertUsable(conn());
    }

    @Test
    void publishingToAmqDefaultByNameIsNotFound404() throws Exception {
        // RabbitMQ has no alias "amq.default" for the nameless default exchange on publish.
        Channel ch = channel();
        publish(ch, "amq.default", "whatever", "m");
        awaitChannelClosed(ch, 404);
        assertUsable(conn());
    }

    @Test
    void predeclaredExchangesExistAndRoute() throws Exception {
        Channel ch = channel();
        for (String n : List.of("amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match")) {
            ch.exchangeDeclarePassive(n);
        }
        String d = boundQueue(ch, "amq.direct", "k-" + unique("d"));
        String f = boundQueue(ch, "amq.fanout", "ignored");
        String t = boundQueue(ch, "amq.topic", unique("t") + ".#");
        String hk = unique("h");
        String h = boundQueue(ch, "amq.headers", "", Map.of("x-match", "all", hk, "1"));
        String m = boundQueue(ch, "amq.match", "", Map.of("x-match", "any", hk, "2"));

        String dKey = "k-" + d; // not bound; nothing for d
        publishConfirmed(ch, "amq.direct", dKey, null, "nope");
        assertEquals(List.of(), drain(ch, d));
        publishConfirmed(ch, "amq.fanout", "any", null, "fan");
        assertEquals(List.of("fan"), drain(ch, f));
        publishConfirmed(ch, "amq.headers", "", headers(Map.of(hk, "1")), "h1");
        publishConfirmed(ch, "amq.match", "", headers(Map.of(hk, "2")), "h2");
        assertEquals(List.of("h1"), drain(ch, h));
        assertEquals(List.of("h2"), drain(ch, m));
        assertEquals(List.of(), drain(ch, t));
    }

    @Test
    void declaringExchangeWithAmqPrefixIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> channel().exchangeDeclare("amq." + unique("mine"), BuiltinExchangeType.DIRECT));
        assertUsable(conn());
    }

    @Test
    void redeclaringPredeclaredAmqExchangeEquivalentlyIsOkButNotWithOtherType() throws Exception {
        // RabbitMQ checks the reserved prefix only when it would create the exchange: an equivalent
        // redeclare of an existing amq.* exchange succeeds; a non-equivalent one fails the equivalence check.
        channel().exchangeDeclare("amq.direct", BuiltinExchangeType.DIRECT, true);
        assertChannelError(406, () -> channel().exchangeDeclare("amq.direct", BuiltinExchangeType.FANOUT, true));
        assertUsable(conn());
    }

    @Test
    void redeclaringWithDifferentTypeIsPreconditionFailed406() throws Exception {
        String ex = x("retype");
        channel().exchangeDeclare(ex, BuiltinExchangeType.DIRECT);
        assertChannelError(406, () -> channel().exchangeDeclare(ex, BuiltinExchangeType.FANOUT));
        channel().exchangeDeclare(ex, BuiltinExchangeType.DIRECT); // equivalent redeclare is fine
    }

    @Test
    void redeclaringWithDifferentDurabilityIsPreconditionFailed406() throws Exception {
        String ex = x("redur");
        channel().exchangeDeclare(ex, BuiltinExchangeType.DIRECT, false);
        assertChannelError(406, () -> channel().exchangeDeclare(ex, BuiltinExchangeType.DIRECT, true));
    }

    @Test
    void unknownExchangeTypeIsCommandInvalid503() throws Exception {
        String ex = x("badtype");
        assertConnectionError(503, () -> channel().exchangeDeclare(ex, "no-such-type"));
    }

    @Test
    void passiveDeclareOfMissingExchangeIsNotFound404() throws Exception {
        assertChannelError(404, () -> channel().exchangeDeclarePassive(unique("missing")));
        assertUsable(conn());
    }

    @Test
    void exchangeToExchangeBindingRoutesThrough() throws Exception {
        Channel ch = channel();
        String src = x("e2e-src");
        String dst = x("e2e-dst");
        ch.exchangeDeclare(src, BuiltinExchangeType.TOPIC);
        ch.exchangeDeclare(dst, BuiltinExchangeType.DIRECT);
        ch.exchangeBind(dst, src, "k.*");
        String qn = boundQueue(ch, dst, "k.1");
        publishConfirmed(ch, src, "k.1", null, "through");
        publishConfirmed(ch, src, "k.2", null, "dst-drops");
        publishConfirmed(ch, src, "j.1", null, "src-drops");
        assertEquals(List.of("through"), drain(ch, qn));
        ch.exchangeUnbind(dst, src, "k.*");
        publishConfirmed(ch, src, "k.1", null, "after-unbind");
        assertEquals(List.of(), drain(ch, qn));
    }

    @Test
    void exchangeBindingCyclesDeliverOnce() throws Exception {
        Channel ch = channel();
        String a = x("cyc-a");
        String b = x("cyc-b");
        ch.exchangeDeclare(a, BuiltinExchangeType.FANOUT);
        ch.exchangeDeclare(b, BuiltinExchangeType.FANOUT);
        ch.exchangeBind(b, a, "");
        ch.exchangeBind(a, b, "");
        String qn = boundQueue(ch, b, "");
        publishConfirmed(ch, a, "", null, "loop");
        assertEquals(List.of("loop"), drain(ch, qn));
    }

    @Test
    void exchangeBindToMissingSourceIsNotFound404() throws Exception {
        String dst = x("e2e-nosrc");
        channel().exchangeDeclare(dst, BuiltinExchangeType.FANOUT);
        assertChannelError(404, () -> channel().exchangeBind(dst, unique("missing"), ""));
    }

    @Test
    void alternateExchangeReceivesUnroutableMessages() throws Exception {
        Channel ch = channel();
        String ae = x("ae");
        String main = x("ae-main");
        ch.exchangeDeclare(ae, BuiltinExchangeType.FANOUT);
        ch.exchangeDeclare(main, BuiltinExchangeType.DIRECT, false, false, Map.of("alternate-exchange", ae));
        String aeQueue = boundQueue(ch, ae, "");
        String routed = boundQueue(ch, main, "known");
        CountDownLatch returned = new CountDownLatch(1);
        ch.addReturnListener(r -> returned.countDown());
        ch.confirmSelect();
        ch.basicPublish(main, "unknown", true, null, bytes("to-ae"));
        ch.basicPublish(main, "known", true, null, bytes("to-q"));
        ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
        assertEquals(List.of("to-ae"), drain(ch, aeQueue));
        assertEquals(List.of("to-q"), drain(ch, routed));
        assertEquals(1, returned.getCount(), "a message routed by the AE must not be returned as unroutable");
    }

    @Test
    void mandatoryMessageUnroutableEvenViaAlternateExchangeIsReturned() throws Exception {
        Channel ch = channel();
        String ae = x("ae-empty");
        String main = x("ae-main2");
        ch.exchangeDeclare(ae, BuiltinExchangeType.FANOUT);
        ch.exchangeDeclare(main, BuiltinExchangeType.DIRECT, false, false, Map.of("alternate-exchange", ae));
        CountDownLatch returned = new CountDownLatch(1);
        int[] code = new int[1];
        ch.addReturnListener(r -> {
            code[0] = r.getReplyCode();
            returned.countDown();
        });
        ch.basicPublish(main, "nowhere", true, null, bytes("lost"));
        assertTrue(returned.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(312, code[0]);
    }

    @Test
    void publishingToInternalExchangeIsAccessRefused403() throws Exception {
        Channel ch = channel();
        String internal = x("internal");
        ch.exchangeDeclare(internal, BuiltinExchangeType.FANOUT, false, false, true, null);
        publish(ch, internal, "", "m");
        awaitChannelClosed(ch, 403);
        assertUsable(conn());
    }

    @Test
    void internalExchangeStillReceivesViaExchangeBinding() throws Exception {
        Channel ch = channel();
        String internal = x("internal2");
        String front = x("front");
        ch.exchangeDeclare(internal, BuiltinExchangeType.FANOUT, false, false, true, null);
        ch.exchangeDeclare(front, BuiltinExchangeType.FANOUT);
        ch.exchangeBind(internal, front, "");
        String qn = boundQueue(ch, internal, "");
        publishConfirmed(ch, front, "", null, "via-front");
        assertEquals(List.of("via-front"), drain(ch, qn));
    }

    @Test
    void exchangeDeleteIfUnusedFailsWithBindingsThenSucceeds() throws Exception {
        Channel ch = channel();
        String ex = x("ifunused");
        ch.exchangeDeclare(ex, BuiltinExchangeType.DIRECT);
        String qn = boundQueue(ch, ex, "k");
        assertChannelError(406, () -> channel().exchangeDelete(ex, true));
        Channel ch2 = channel();
        ch2.exchangeDeclarePassive(ex); // still there
        ch2.queueUnbind(qn, ex, "k");
        ch2.exchangeDelete(ex, true);
        assertChannelError(404, () -> channel().exchangeDeclarePassive(ex));
    }

    @Test
    void exchangeDeleteOfMissingExchangeIsOk() throws Exception {
        channel().exchangeDelete(unique("never-existed"));
        assertUsable(conn());
    }

    @Test
    void autoDeleteExchangeGoesAwayWhenLastBindingRemoved() throws Exception {
        Channel ch = channel();
        String ex = x("autodel");
        ch.exchangeDeclare(ex, BuiltinExchangeType.DIRECT, false, true, null);
        String qn = boundQueue(ch, ex, "k");
        ch.exchangeDeclarePassive(ex);
        ch.queueUnbind(qn, ex, "k");
        assertChannelError(404, () -> channel().exchangeDeclarePassive(ex));
    }

    @Test
    void queueBindToMissingExchangeIsNotFound404() throws Exception {
        Channel ch = channel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        assertChannelError(404, () -> ch.queueBind(qn, unique("missing"), "k"));
    }
}
