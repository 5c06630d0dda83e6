package warren.core.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static warren.core.queue.QueueFixture.WAIT_SECONDS;
import static warren.core.queue.QueueFixture.args;
import static warren.core.queue.QueueFixture.body;
import static warren.core.queue.QueueFixture.message;
import static warren.core.queue.QueueFixture.publishAll;
import static warren.core.queue.QueueFixture.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.queue.QueueFixture.Death;
import warren.core.queue.QueueFixture.RecordingConsumer;

class MessageQueueTest {
    private final QueueFixture fx = new QueueFixture();

    @AfterEach
    void tearDown() {
        fx.close();
    }

    private static List<String> getAll(MessageQueue q) throws Exception {
        List<String> out = new ArrayList<>();
        while (true) {
            MessageQueue.GetResult r = q.get(false).get(WAIT_SECONDS, TimeUnit.SECONDS);
            if (r.entry() == null) {
                return out;
            }
            out.add(body(r.entry()));
        }
    }

    private static ChannelException channelError(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return assertInstanceOf(ChannelException.class, e.getCause());
    }

    private static CompletableFuture<Boolean> publish(MessageQueue q, String body) {
        CompletableFuture<Boolean> accepted = new CompletableFuture<>();
        q.publish(message(body), accepted::complete);
        return accepted;
    }

    private Death nextDeath() throws InterruptedException {
        Death d = fx.deadLetters.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(d, "no dead letter within " + WAIT_SECONDS + " s");
        return d;
    }

    @Test
    void consumerReceivesMessagesInPublishOrder() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer c = new RecordingConsumer("c");
        q.addConsumer(c, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c");
        assertEquals(List.of("a", "b", "c"), List.of(body(c.next()), body(c.next()), body(c.next())));
        assertEquals(new MessageQueue.Counts(0, 3, 1), sync(q));
    }

    @Test
    void getReturnsMessagesInPublishOrderWithRemainingCount() throws Exception {
        MessageQueue q = fx.queue("q", null);
        publishAll(q, "a", "b");
        MessageQueue.GetResult r = q.get(true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals("a", body(r.entry()));
        assertEquals(1, r.remaining());
        assertEquals(new MessageQueue.Counts(1, 1, 0), sync(q));
    }

    @Test
    void priorityQueueServesHigherPriorityFirstAndFifoWithinALevel() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-priority", 10));
        q.publish(message("low", 1, null), null);
        q.publish(message("none", null, null), null);
        q.publish(message("high", 9, null), null);
        q.publish(message("mid", 5, null), null);
        q.publish(message("high2", 9, null), null);
        q.publish(message("over", 200, null), null); // capped at max priority 10, above 9
        assertEquals(List.of("over", "high", "high2", "mid", "low", "none"), getAll(q));
    }

    @Test
    void withoutMaxPriorityMessagePriorityIsIgnored() throws Exception {
        MessageQueue q = fx.queue("q", null);
        q.publish(message("low", 1, null), null);
        q.publish(message("high", 9, null), null);
        assertEquals(List.of("low", "high"), getAll(q));
    }

    @Test
    void maxLengthDropHeadDropsOldestAndDeadLettersWithReasonMaxlen() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-length", 2, "x-dead-letter-exchange", "dlx"));
        assertTrue(publish(q, "a").get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(publish(q, "b").get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(publish(q, "c").get(WAIT_SECONDS, TimeUnit.SECONDS));
        Death d = nextDeath();
        assertEquals("maxlen", d.reason());
        assertEquals("a", new String(d.message().body()));
        assertEquals(List.of("b", "c"), getAll(q));
    }

    @Test
    void maxLengthBytesDropsHeadUntilUnderTheLimit() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-length-bytes", 4L));
        publishAll(q, "aa", "bb", "ccc");
        assertEquals(List.of("ccc"), getAll(q));
    }

    @Test
    void rejectPublishRefusesAtTheLimitWithoutDeadLettering() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-length", 1, "x-overflow", "reject-publish",
                "x-dead-letter-exchange", "dlx"));
        assertTrue(publish(q, "a").get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(publish(q, "b").get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("a"), getAll(q));
        assertTrue(fx.deadLetters.isEmpty());
    }

    @Test
    void rejectPublishDlxRefusesAndDeadLettersTheRefusedMessage() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-length", 1, "x-overflow", "reject-publish-dlx",
                "x-dead-letter-exchange", "dlx"));
        assertTrue(publish(q, "a").get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(publish(q, "b").get(WAIT_SECONDS, TimeUnit.SECONDS));
        Death d = nextDeath();
        assertEquals("maxlen", d.reason());
        assertEquals("b", new String(d.message().body()));
        assertEquals(List.of("a"), getAll(q));
    }

    @Test
    void queueTtlExpiresMessagesAndDeadLettersWithReasonExpired() throws Exception {
        MessageQueue q = fx.queue("q", args("x-message-ttl", 20, "x-dead-letter-exchange", "dlx"));
        publishAll(q, "a");
        Death d = nextDeath();
        assertEquals("expired", d.reason());
        assertEquals("a", new String(d.message().body()));
        assertEquals(0, sync(q).ready());
        assertEquals(0, fx.memory.get());
    }

    @Test
    void perMessageExpirationExpiresOnlyThatMessage() throws Exception {
        MessageQueue q = fx.queue("q", args("x-dead-letter-exchange", "dlx"));
        q.publish(message("short", null, "10"), null);
        Death d = nextDeath();
        assertEquals("expired", d.reason());
        q.publish(message("forever", null, null), null);
        q.publish(message("long", null, "600000"), null);
        assertEquals(List.of("forever", "long"), getAll(q));
    }

    @Test
    void ttlZeroWithoutConsumersDeadLettersImmediately() throws Exception {
        MessageQueue q = fx.queue("q", args("x-message-ttl", 0, "x-dead-letter-exchange", "dlx"));
        publishAll(q, "a");
        assertEquals("expired", nextDeath().reason());
        assertEquals(0, sync(q).ready());
    }

    @Test
    void requeueMarksRedeliveredAndRestoresOriginalOrder() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer c = new RecordingConsumer("c", 0, 3);
        q.addConsumer(c, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c", "d");
        QueueEntry a = c.next();
        QueueEntry b = c.next();
        QueueEntry cc = c.next();
        q.removeConsumer(c).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "e");
        q.requeue(List.of(cc, a, b));
        List<String> bodies = new ArrayList<>();
        List<Boolean> redelivered = new ArrayList<>();
        MessageQueue.GetResult r;
        while ((r = q.get(false).get(WAIT_SECONDS, TimeUnit.SECONDS)).entry() != null) {
            bodies.add(body(r.entry()));
            redelivered.add(r.entry().redelivered());
        }
        assertEquals(List.of("a", "b", "c", "d", "e"), bodies);
        assertEquals(List.of(true, true, true, false, false), redelivered);
        assertEquals(0, sync(q).unacked());
    }

    @Test
    void rejectWithoutRequeueDeadLettersWithReasonRejected() throws Exception {
        MessageQueue q = fx.queue("q", args("x-dead-letter-exchange", "dlx"));
        publishAll(q, "a");
        QueueEntry e = q.get(true).get(WAIT_SECONDS, TimeUnit.SECONDS).entry();
        q.reject(List.of(e));
        assertEquals("rejected", nextDeath().reason());
        assertEquals(new MessageQueue.Counts(0, 0, 0), sync(q));
        assertEquals(0, fx.memory.get());
    }

    @Test
    void singleActiveConsumerGetsEverythingUntilRemoved() throws Exception {
        MessageQueue q = fx.queue("q", args("x-single-active-consumer", true));
        RecordingConsumer first = new RecordingConsumer("first");
        RecordingConsumer second = new RecordingConsumer("second");
        q.addConsumer(first, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(second, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c");
        sync(q);
        assertEquals(List.of("a", "b", "c"), first.drainBodies());
        assertTrue(second.deliveries.isEmpty());
        q.removeConsumer(first).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "d");
        assertEquals("d", body(second.next()));
        synchronized (second) {
            assertEquals(List.of(true), second.activeChanges);
        }
    }

    @Test
    void singleActiveConsumerKeepsDeliveringWhenAHigherPriorityConsumerJoins() throws Exception {
        MessageQueue q = fx.queue("q", args("x-single-active-consumer", true));
        RecordingConsumer first = new RecordingConsumer("first", 0, Integer.MAX_VALUE);
        RecordingConsumer urgent = new RecordingConsumer("urgent", 10, Integer.MAX_VALUE);
        q.addConsumer(first, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(urgent, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b");
        assertEquals("a", body(first.next()));
        assertEquals("b", body(first.next()));
        assertTrue(urgent.deliveries.isEmpty());
        assertEquals(0, sync(q).ready());
    }

    @Test
    void higherPriorityConsumersWithCreditAreServedFirst() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer low = new RecordingConsumer("low", 0, Integer.MAX_VALUE);
        RecordingConsumer high = new RecordingConsumer("high", 10, 1);
        q.addConsumer(low, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(high, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c");
        sync(q);
        assertEquals(List.of("a"), high.drainBodies());
        assertEquals(List.of("b", "c"), low.drainBodies());
    }

    @Test
    void higherPriorityConsumerGetsTheNextMessageOnceItHasCreditAgain() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer low = new RecordingConsumer("low", 0, Integer.MAX_VALUE);
        RecordingConsumer high = new RecordingConsumer("high", 10, 1);
        q.addConsumer(high, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(low, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a");
        high.settle(q, high.next());
        publishAll(q, "b");
        assertEquals("b", body(high.next()));
        sync(q);
        assertTrue(low.deliveries.isEmpty());
    }

    @Test
    void equalConsumersAreServedRoundRobin() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer one = new RecordingConsumer("one");
        RecordingConsumer two = new RecordingConsumer("two");
        q.addConsumer(one, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(two, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c", "d");
        sync(q);
        List<String> x = one.drainBodies();
        List<String> y = two.drainBodies();
        assertEquals(2, x.size(), x + " / " + y);
        assertEquals(2, y.size(), x + " / " + y);
        assertTrue(x.equals(List.of("a", "c")) || x.equals(List.of("b", "d")), x + " / " + y);
    }

    @Test
    void prefetchLimitsOutstandingDeliveriesAndSettlingReleasesMore() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer c = new RecordingConsumer("c", 0, 2);
        q.addConsumer(c, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b", "c", "d", "e");
        assertEquals(new MessageQueue.Counts(3, 2, 1), sync(q));
        assertEquals(List.of("a", "b"), c.drainBodies());
        q.ack(List.of());
        c.outstanding.decrementAndGet();
        q.wakeup();
        assertEquals("c", body(c.next()));
        assertEquals(2, sync(q).ready());
        assertTrue(c.deliveries.isEmpty());
    }

    @Test
    void purgeReturnsTheNumberOfReadyMessagesRemoved() throws Exception {
        MessageQueue q = fx.queue("q", null);
        publishAll(q, "a", "b", "c");
        assertEquals(3, q.purge().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, sync(q).ready());
        assertEquals(0, fx.memory.get());
        assertEquals(0, q.purge().get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void deleteIfUnusedWithAConsumerIsPreconditionFailed() throws Exception {
        MessageQueue q = fx.queue("q", null);
        q.addConsumer(new RecordingConsumer("c"), false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        ChannelException e = channelError(q.delete(true, false));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertEquals("queue 'q' in vhost '/' in use", e.getMessage());
        assertEquals(1, sync(q).consumers());
    }

    @Test
    void deleteIfEmptyWithMessagesIsPreconditionFailed() throws Exception {
        MessageQueue q = fx.queue("q", null);
        publishAll(q, "a");
        ChannelException e = channelError(q.delete(false, true));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertEquals("queue 'q' in vhost '/' not empty", e.getMessage());
        assertEquals(1, sync(q).ready());
    }

    @Test
    void deletingCancelsConsumersAndLaterOperationsAreNotFound() throws Exception {
        MessageQueue q = fx.queue("q", null);
        RecordingConsumer c = new RecordingConsumer("c", 0, 0);
        q.addConsumer(c, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        publishAll(q, "a", "b");
        assertEquals(2, q.delete(false, false).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(c.cancelled.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(ReplyCode.NOT_FOUND, channelError(q.counts()).replyCode());
        assertEquals(ReplyCode.NOT_FOUND, channelError(q.addConsumer(new RecordingConsumer("d"), false)).replyCode());
        assertEquals(0, fx.memory.get());
    }

    @Test
    void autoDeleteQueueAsksToBeDeletedWhenItsLastConsumerGoes() throws Exception {
        MessageQueue q = fx.queue("q", true, null);
        RecordingConsumer one = new RecordingConsumer("one");
        RecordingConsumer two = new RecordingConsumer("two");
        q.addConsumer(one, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.addConsumer(two, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.removeConsumer(one).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(fx.deleteRequests.isEmpty());
        q.removeConsumer(two).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(fx.deleteRequests.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void autoDeleteQueueThatNeverHadAConsumerStays() throws Exception {
        MessageQueue q = fx.queue("q", true, null);
        RecordingConsumer never = new RecordingConsumer("never");
        q.removeConsumer(never).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNull(fx.deleteRequests.poll());
    }

    @Test
    void exclusiveConsumerShutsOutOthers() throws Exception {
        MessageQueue q = fx.queue("q", null);
        q.addConsumer(new RecordingConsumer("x"), true).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(ReplyCode.ACCESS_REFUSED,
                channelError(q.addConsumer(new RecordingConsumer("y"), false)).replyCode());
    }

    @Test
    void memoryIsAccountedUntilAcked() throws Exception {
        MessageQueue q = fx.queue("q", null);
        publishAll(q, "abc", "de");
        sync(q);
        assertEquals(5, fx.memory.get());
        QueueEntry e = q.get(true).get(WAIT_SECONDS, TimeUnit.SECONDS).entry();
        assertEquals(5, fx.memory.get());
        q.ack(List.of(e));
        q.get(false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(0, fx.memory.get());
    }
}
