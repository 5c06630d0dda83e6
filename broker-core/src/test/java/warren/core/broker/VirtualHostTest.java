package warren.core.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import warren.core.amqp.BasicProperties;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;
import warren.core.routing.Binding;
import warren.core.routing.Exchange;

class VirtualHostTest {
    private static final long WAIT = 5;
    private static final Object OWNER = new Object();

    @TempDir
    Path tempDir;
    private Broker broker;
    private VirtualHost vh;

    @BeforeEach
    void setUp() {
        broker = new Broker(BrokerSettings.defaults("warren@test", tempDir));
        vh = broker.vhost("/");
    }

    @AfterEach
    void tearDown() {
        broker.close();
    }

    private static ChannelException channelError(ReplyCode code, Executable action) {
        ChannelException e = assertThrows(ChannelException.class, action);
        assertEquals(code, e.replyCode(), e.getMessage());
        return e;
    }

    private Exchange exchange(String name, String type) {
        return vh.declareExchange(name, type, false, false, false, false, Map.of());
    }

    private MessageQueue queue(String name) {
        return queue(name, Map.of());
    }

    private MessageQueue queue(String name, Map<String, Object> args) {
        return vh.declareQueue(name, false, false, false, false, args, OWNER);
    }

    private void bindQ(String exchange, String queue, String key) {
        vh.bind(new Binding(exchange, queue, false, key, Map.of()));
    }

    private void bindX(String source, String destination, String key) {
        vh.bind(new Binding(source, destination, true, key, Map.of()));
    }

    private Set<String> route(String exchange, String key) {
        Set<String> names = new java.util.HashSet<>();
        for (MessageQueue q : vh.route(vh.requireExchange(exchange), key, Map.of())) {
            names.add(q.name());
        }
        return names;
    }

    // ------------------------------------------------------------------ exchanges

    @Test
    void redeclaringAnExchangeEquivalentlyReturnsTheSameExchange() {
        Exchange x = exchange("x", "direct");
        assertSame(x, exchange("x", "direct"));
        assertSame(vh.exchange("amq.direct"), vh.declareExchange("amq.direct", "direct", false, true, false, false,
                Map.of()));
    }

    @Test
    void redeclaringAnExchangeDifferentlyIsPreconditionFailedWithRabbitMqText() {
        exchange("x", "direct");
        ChannelException type = channelError(ReplyCode.PRECONDITION_FAILED, () -> exchange("x", "fanout"));
        assertEquals("inequivalent arg 'type' for exchange 'x' in vhost '/': received 'fanout' but current is "
                + "'direct'", type.getMessage());
        ChannelException durable = channelError(ReplyCode.PRECONDITION_FAILED,
                () -> vh.declareExchange("x", "direct", false, true, false, false, Map.of()));
        assertEquals("inequivalent arg 'durable' for exchange 'x' in vhost '/': received 'true' but current is "
                + "'false'", durable.getMessage());
        channelError(ReplyCode.PRECONDITION_FAILED,
                () -> vh.declareExchange("x", "direct", false, false, true, false, Map.of()));
        channelError(ReplyCode.PRECONDITION_FAILED,
                () -> vh.declareExchange("x", "direct", false, false, false, false, Map.of("alternate-exchange", "ae")));
    }

    @Test
    void declaringANewAmqPrefixedExchangeIsAccessRefused() {
        ChannelException e = channelError(ReplyCode.ACCESS_REFUSED, () -> exchange("amq.custom", "topic"));
        assertEquals("exchange name 'amq.custom' contains reserved prefix 'amq.*'", e.getMessage());
        assertNull(vh.exchange("amq.custom"));
        channelError(ReplyCode.ACCESS_REFUSED, () -> vh.deleteExchange("amq.direct", false));
    }

    @Test
    void passiveDeclareOfAMissingExchangeOrQueueIsNotFound() {
        ChannelException e = channelError(ReplyCode.NOT_FOUND,
                () -> vh.declareExchange("nope", "direct", true, false, false, false, Map.of()));
        assertEquals("no exchange 'nope' in vhost '/'", e.getMessage());
        ChannelException q = channelError(ReplyCode.NOT_FOUND,
                () -> vh.declareQueue("nope", true, false, false, false, Map.of(), OWNER));
        assertEquals("no queue 'nope' in vhost '/'", q.getMessage());
        Exchange x = exchange("x", "topic");
        assertSame(x, vh.declareExchange("x", "anything", true, true, true, true, null));
    }

    @Test
    void deleteExchangeIfUnusedWithBindingsIsPreconditionFailed() {
        exchange("x", "direct");
        queue("q");
        bindQ("x", "q", "k");
        channelError(ReplyCode.PRECONDITION_FAILED, () -> vh.deleteExchange("x", true));
        vh.deleteExchange("x", false);
        assertNull(vh.exchange("x"));
        assertTrue(vh.bindings().isEmpty());
    }

    // ------------------------------------------------------------------ routing

    @Test
    void defaultExchangeRoutesByQueueName() {
        queue("q");
        assertEquals(Set.of("q"), route("", "q"));
        assertEquals(Set.of(), route("", "other"));
        channelError(ReplyCode.ACCESS_REFUSED, () -> bindQ("", "q", "k"));
    }

    @Test
    void exchangeToExchangeBindingsRouteTransitively() {
        exchange("a", "topic");
        exchange("b", "direct");
        exchange("c", "fanout");
        queue("qb");
        queue("qc");
        bindX("a", "b", "k.#");
        bindX("b", "c", "k.x");
        bindQ("b", "qb", "k.y");
        bindQ("c", "qc", "");
        assertEquals(Set.of("qc"), route("a", "k.x"));
        assertEquals(Set.of("qb"), route("a", "k.y"));
        assertEquals(Set.of(), route("a", "z"));
    }

    @Test
    void exchangeBindingCycleTerminates() {
        exchange("a", "fanout");
        exchange("b", "fanout");
        queue("q");
        bindX("a", "b", "");
        bindX("b", "a", "");
        bindQ("b", "q", "");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertEquals(Set.of("q"), route("a", "k"));
            assertEquals(Set.of("q"), route("b", "k"));
        });
    }

    @Test
    void alternateExchangeIsUsedOnlyWhenNothingMatched() {
        exchange("ae", "fanout");
        queue("unrouted");
        bindQ("ae", "unrouted", "");
        vh.declareExchange("x", "direct", false, false, false, false, Map.of("alternate-exchange", "ae"));
        queue("q");
        bindQ("x", "q", "k");
        assertEquals(Set.of("q"), route("x", "k"));
        assertEquals(Set.of("unrouted"), route("x", "other"));
    }

    @Test
    void alternateExchangeIsNotUsedWhenAnExchangeBindingMatched() {
        // RabbitMQ consults the alternate exchange only when the exchange itself matched no binding;
        // a matched exchange-to-exchange binding counts even if the destination routes nowhere.
        exchange("ae", "fanout");
        queue("unrouted");
        bindQ("ae", "unrouted", "");
        vh.declareExchange("x", "direct", false, false, false, false, Map.of("alternate-exchange", "ae"));
        exchange("inner", "direct");
        bindX("x", "inner", "k");
        assertEquals(Set.of(), route("x", "k"));
        assertEquals(Set.of("unrouted"), route("x", "other"));
    }

    @Test
    void alternateExchangeCycleTerminates() {
        vh.declareExchange("a", "direct", false, false, false, false, Map.of("alternate-exchange", "b"));
        vh.declareExchange("b", "direct", false, false, false, false, Map.of("alternate-exchange", "a"));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertEquals(Set.of(), route("a", "k")));
    }

    @Test
    void invalidHeadersBindingIsPreconditionFailed() {
        exchange("h", "headers");
        queue("q");
        channelError(ReplyCode.PRECONDITION_FAILED,
                () -> vh.bind(new Binding("h", "q", false, "", Map.of("x-match", "most"))));
        assertTrue(vh.bindings().isEmpty());
    }

    @Test
    void headersBindingWithVoidValueRoutesOnHeaderPresence() {
        exchange("h", "headers");
        queue("q");
        Map<String, Object> args = new HashMap<>();
        args.put("present", null);
        vh.bind(new Binding("h", "q", false, "", args));
        assertEquals(1, vh.route(vh.exchange("h"), "", Map.of("present", 1)).size());
        assertEquals(0, vh.route(vh.exchange("h"), "", Map.of("absent", 1)).size());
    }

    @Test
    void bindingToAMissingQueueOrExchangeIsNotFound() {
        exchange("x", "direct");
        channelError(ReplyCode.NOT_FOUND, () -> bindQ("x", "missing", "k"));
        channelError(ReplyCode.NOT_FOUND, () -> bindX("x", "missing", "k"));
        queue("q");
        channelError(ReplyCode.NOT_FOUND, () -> bindQ("missing", "q", "k"));
    }

    // ------------------------------------------------------------------ auto-delete

    @Test
    void autoDeleteExchangeIsRemovedWhenItsLastBindingGoes() {
        vh.declareExchange("ad", "direct", false, false, true, false, Map.of());
        queue("q1");
        queue("q2");
        bindQ("ad", "q1", "k");
        bindQ("ad", "q2", "k");
        vh.unbind(new Binding("ad", "q1", false, "k", Map.of()));
        assertNotNull(vh.exchange("ad"));
        vh.unbind(new Binding("ad", "q2", false, "k", Map.of()));
        assertNull(vh.exchange("ad"));
    }

    @Test
    void autoDeleteExchangeIsRemovedWhenItsLastBoundQueueIsDeleted() throws Exception {
        vh.declareExchange("ad", "fanout", false, false, true, false, Map.of());
        queue("q");
        bindQ("ad", "q", "");
        vh.deleteQueue("q", false, false, OWNER).get(WAIT, TimeUnit.SECONDS);
        assertNull(vh.exchange("ad"));
        assertNull(vh.queue("q"));
    }

    @Test
    void autoDeleteExchangeWithoutBindingsSurvivesUnbindOfAMissingBinding() {
        vh.declareExchange("ad", "direct", false, false, true, false, Map.of());
        queue("q");
        vh.unbind(new Binding("ad", "q", false, "never-bound", Map.of()));
        assertNotNull(vh.exchange("ad"));
    }

    // ------------------------------------------------------------------ queues

    @Test
    void redeclaringAQueueDifferentlyIsPreconditionFailed() {
        queue("q", Map.of("x-max-length", 5));
        assertSame(vh.queue("q"), queue("q", Map.of("x-max-length", 5L)));
        ChannelException e = channelError(ReplyCode.PRECONDITION_FAILED,
                () -> vh.declareQueue("q", false, true, false, false, Map.of("x-max-length", 5), OWNER));
        assertEquals("inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'",
                e.getMessage());
        ChannelException arg = channelError(ReplyCode.PRECONDITION_FAILED, () -> queue("q", Map.of("x-max-length", 6)));
        assertTrue(arg.getMessage().startsWith("inequivalent arg 'x-max-length'"), arg.getMessage());
    }

    @Test
    void declaringANewAmqPrefixedQueueIsAccessRefused() {
        channelError(ReplyCode.ACCESS_REFUSED, () -> queue("amq.mine"));
        assertTrue(VirtualHost.generateQueueName().startsWith("amq.gen-"));
    }

    @Test
    void exclusiveQueueIsLockedToItsOwner() throws Exception {
        Object other = new Object();
        vh.declareQueue("ex", false, false, true, false, Map.of(), OWNER);
        assertSame(vh.queue("ex"), vh.requireQueue("ex", OWNER));
        channelError(ReplyCode.RESOURCE_LOCKED, () -> vh.requireQueue("ex", other));
        channelError(ReplyCode.RESOURCE_LOCKED, () -> vh.declareQueue("ex", true, false, false, false, Map.of(), other));
        channelError(ReplyCode.RESOURCE_LOCKED, () -> vh.declareQueue("ex", false, false, true, false, Map.of(), other));
        channelError(ReplyCode.RESOURCE_LOCKED, () -> vh.deleteQueue("ex", false, false, other));
        MessageQueue q = vh.queue("ex");
        vh.connectionClosed(OWNER);
        // the owner's exclusive queue goes with its connection (counts runs after the deletion)
        java.util.concurrent.ExecutionException gone = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> q.counts().get(WAIT, TimeUnit.SECONDS));
        assertEquals(ReplyCode.NOT_FOUND, assertInstanceOf(ChannelException.class, gone.getCause()).replyCode());
        assertNull(vh.queue("ex"));
    }

    @Test
    void deletingAQueueRemovesItsBindings() throws Exception {
        exchange("x", "direct");
        queue("q");
        bindQ("x", "q", "k");
        assertEquals(1, vh.bindings().size());
        vh.deleteQueue("q", false, false, OWNER).get(WAIT, TimeUnit.SECONDS);
        assertTrue(vh.bindings().isEmpty());
        assertEquals(Set.of(), route("x", "k"));
    }

    @Test
    void deleteQueueIfUnusedOrIfEmptyIsPreconditionFailedAndKeepsTheQueue() throws Exception {
        MessageQueue q = queue("q");
        q.publish(message("x", "k", "m", null), null);
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> vh.deleteQueue("q", false, true, OWNER).get(WAIT, TimeUnit.SECONDS));
        assertEquals(ReplyCode.PRECONDITION_FAILED, assertInstanceOf(ChannelException.class, e.getCause()).replyCode());
        assertSame(q, vh.queue("q"));
    }

    // ------------------------------------------------------------------ dead-lettering

    private static Message message(String exchange, String key, String body, String expiration) {
        BasicProperties p = new BasicProperties(null, null, null, null, null, null, null, expiration, null, null, null,
                null, null, null);
        return new Message(exchange, key, p, new byte[0], body.getBytes(), System.currentTimeMillis());
    }

    private static final class Recorder implements QueueConsumer {
        final BlockingQueue<QueueEntry> got = new LinkedBlockingQueue<>();

        @Override
        public String tag() {
            return "rec";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean ackRequired() {
            return false;
        }

        @Override
        public boolean tryReserve() {
            return true;
        }

        @Override
        public void deliver(MessageQueue queue, QueueEntry entry) {
            got.add(entry);
        }

        @Override
        public void cancelledByQueue(MessageQueue queue) {
        }

        @Override
        public Map<String, Object> info() {
            return Map.of();
        }

        QueueEntry next() throws InterruptedException {
            QueueEntry e = got.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(e, "nothing delivered within " + WAIT + " s");
            return e;
        }
    }

    @Test
    void expiredMessageIsDeadLetteredWithAnXDeathEntry() throws Exception {
        exchange("dlx", "fanout");
        MessageQueue dlq = queue("dlq");
        bindQ("dlx", "dlq", "");
        Recorder rec = new Recorder();
        dlq.addConsumer(rec, false).get(WAIT, TimeUnit.SECONDS);
        MessageQueue q = queue("q", Map.of("x-message-ttl", 20, "x-dead-letter-exchange", "dlx"));
        q.publish(message("src", "orig.key", "hello", null), null);

        QueueEntry e = rec.next();
        Message dead = e.message();
        assertEquals("hello", new String(dead.body()));
        assertEquals("dlx", dead.exchange());
        assertEquals("orig.key", dead.routingKey());
        Map<String, Object> headers = dead.properties().headers();
        List<?> deaths = assertInstanceOf(List.class, headers.get("x-death"));
        assertEquals(1, deaths.size());
        Map<?, ?> death = assertInstanceOf(Map.class, deaths.get(0));
        assertEquals("q", String.valueOf(death.get("queue")));
        assertEquals("expired", String.valueOf(death.get("reason")));
        assertEquals(1L, death.get("count"));
        assertEquals("src", String.valueOf(death.get("exchange")));
        List<?> keys = assertInstanceOf(List.class, death.get("routing-keys"));
        assertEquals(List.of("orig.key"), keys.stream().map(String::valueOf).toList());
        assertEquals("expired", String.valueOf(headers.get("x-first-death-reason")));
        assertEquals("q", String.valueOf(headers.get("x-first-death-queue")));
    }

    @Test
    void perMessageExpirationIsRecordedAndDroppedOnDeadLettering() throws Exception {
        exchange("dlx", "direct");
        MessageQueue dlq = queue("dlq");
        bindQ("dlx", "dlq", "dead");
        Recorder rec = new Recorder();
        dlq.addConsumer(rec, false).get(WAIT, TimeUnit.SECONDS);
        MessageQueue q = queue("q", Map.of("x-dead-letter-exchange", "dlx", "x-dead-letter-routing-key", "dead"));
        q.publish(message("src", "k", "m", "15"), null);
        Message dead = rec.next().message();
        assertEquals("dead", dead.routingKey());
        assertNull(dead.properties().expiration());
        Map<?, ?> death = (Map<?, ?>) ((List<?>) dead.properties().headers().get("x-death")).get(0);
        assertEquals("15", String.valueOf(death.get("original-expiration")));
    }

    @Test
    void memoryAccountingReturnsToZeroAfterConsumption() throws Exception {
        MessageQueue q = queue("q");
        long before = broker.memory().usedBytes();
        q.publish(message("", "q", "12345", null), null);
        Recorder rec = new Recorder();
        q.addConsumer(rec, false).get(WAIT, TimeUnit.SECONDS);
        q.wakeup(); // the channel wakes the queue after sending consume-ok
        rec.next();
        q.counts().get(WAIT, TimeUnit.SECONDS);
        assertEquals(before, broker.memory().usedBytes());
        assertFalse(broker.memory().inAlarm());
    }
}
