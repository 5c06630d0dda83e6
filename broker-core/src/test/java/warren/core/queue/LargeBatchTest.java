package warren.core.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static warren.core.queue.QueueFixture.WAIT_SECONDS;
import static warren.core.queue.QueueFixture.args;
import static warren.core.queue.QueueFixture.body;
import static warren.core.queue.QueueFixture.message;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import warren.core.queue.QueueFixture.RecordingConsumer;
import warren.core.store.InMemoryMessageStore;

/**
 * Operations over more entries than one slice ({@link MessageQueue#SLICE}) take several turns of
 * the queue's executor, each handling a part (so other work runs in between: seen here with an
 * executor the test turns by hand), and finish whole and in order.
 */
class LargeBatchTest {
    private static final int N = 10_017; // several slices of every kind
    private final QueueFixture fx = new QueueFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    private static void publish(MessageQueue q, int n, String expiration) {
        for (int i = 0; i < n; i++) {
            q.publish(message(String.valueOf(i), null, expiration), null);
        }
    }

    /** Waits (bounded) until the queue's counts satisfy {@code p}; returns them. */
    private static MessageQueue.Counts await(MessageQueue q, Predicate<MessageQueue.Counts> p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        MessageQueue.Counts c;
        while (!p.test(c = q.counts().get(WAIT_SECONDS, TimeUnit.SECONDS))) {
            assertTrue(System.nanoTime() < deadline, "counts never matched: " + c);
            Thread.sleep(5);
        }
        return c;
    }

    private static List<QueueEntry> take(RecordingConsumer c, int n) throws InterruptedException {
        List<QueueEntry> got = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            QueueEntry e = c.next();
            assertEquals(String.valueOf(i), body(e), "delivery " + i);
            got.add(e);
        }
        return got;
    }

    /** Publishes N messages and returns them as one consumer without limit got them (in order). */
    private static List<QueueEntry> deliverAll(MessageQueue q) throws Exception {
        publish(q, N, null);
        RecordingConsumer c = new RecordingConsumer("c");
        q.addConsumer(c, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.wakeup();
        return take(c, N);
    }

    @Test
    void aConsumerWithoutLimitGetsALargeBacklogWholeAndInOrderAndABatchRequeueComesBackInOrder() throws Exception {
        MessageQueue q = fx.queue("q", null);
        publish(q, N, null);
        RecordingConsumer first = new RecordingConsumer("first");
        q.addConsumer(first, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.wakeup();
        List<QueueEntry> held = take(first, N); // delivered over several dispatch turns
        assertEquals(new MessageQueue.Counts(0, N, 1), await(q, c -> c.unacked() == N));
        q.removeConsumer(first).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.requeue(held);
        await(q, c -> c.ready() == N && c.unacked() == 0);
        RecordingConsumer second = new RecordingConsumer("second");
        q.addConsumer(second, false).get(WAIT_SECONDS, TimeUnit.SECONDS);
        q.wakeup();
        for (QueueEntry e : take(second, N)) {
            assertTrue(e.redelivered(), "redelivered flag");
        }
    }

    @Test
    void rejectingALargeBatchDeadLettersEveryMessageInOrder() throws Exception {
        MessageQueue q = fx.queue("q", args("x-dead-letter-exchange", "dlx"));
        q.reject(deliverAll(q));
        await(q, k -> k.unacked() == 0);
        for (int i = 0; i < N; i++) {
            QueueFixture.Death d = fx.deadLetters.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(String.valueOf(i), new String(d.message().body()));
            assertEquals("rejected", d.reason());
        }
    }

    @Test
    void aLongRunOfExpiredHeadsIsDeadLetteredWholeAndInOrder() throws Exception {
        MessageQueue q = fx.queue("q", args("x-dead-letter-exchange", "dlx"));
        publish(q, N, "50");
        await(q, k -> k.ready() == 0);
        for (int i = 0; i < N; i++) {
            QueueFixture.Death d = fx.deadLetters.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(String.valueOf(i), new String(d.message().body()));
            assertEquals("expired", d.reason());
        }
        assertEquals(0, fx.deadLetters.size());
    }

    @Test
    void purgeOfALargeQueueAnswersTheCountAndLeavesAWorkingEmptyQueue() throws Exception {
        MessageQueue q = fx.queue("q", args("x-max-priority", 3));
        publish(q, N, null);
        assertEquals(N, q.purge().get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, q.counts().get(WAIT_SECONDS, TimeUnit.SECONDS).ready());
        assertEquals(0, fx.memory.get(), "memory accounting back to zero");
        publish(q, 2, null);
        assertEquals("0", body(q.get(false).get(WAIT_SECONDS, TimeUnit.SECONDS).entry()));
        assertEquals("1", body(q.get(false).get(WAIT_SECONDS, TimeUnit.SECONDS).entry()));
    }

    /** An executor whose tasks run only when the test says so, one turn at a time. */
    private static final class Turns implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void one() {
            tasks.remove().run();
        }

        void all() {
            while (!tasks.isEmpty()) {
                one();
            }
        }
    }

    @Test
    void eachLargeOperationTakesSeveralTurnsOfTheQueuesExecutor() throws Exception {
        Turns turns = new Turns();
        MessageQueue q = new MessageQueue("/", "q", false, false, false, null,
                QueueArguments.parse(args("x-dead-letter-exchange", "dlx"), "q", "/"), turns, fx.host,
                new InMemoryMessageStore());
        publish(q, N, null);
        turns.all();
        RecordingConsumer c = new RecordingConsumer("c");
        q.addConsumer(c, false);
        turns.all();
        q.wakeup();
        turns.one(); // dispatch to a consumer without limit
        int delivered = c.deliveries.size();
        assertTrue(delivered > 0 && delivered < N, "one dispatch turn delivered " + delivered + " of " + N);
        turns.all();
        List<QueueEntry> held = take(c, N);
        q.removeConsumer(c);
        turns.all();

        q.requeue(held);
        turns.one();
        int back = q.snapshot().ready();
        assertTrue(back > 0 && back < N, "one requeue turn put back " + back + " of " + N);
        turns.all();
        assertEquals(new MessageQueue.Counts(N, 0, 0), q.snapshot());

        CompletableFuture<Integer> purged = q.purge();
        turns.one();
        assertTrue(!purged.isDone(), "purge answered after one turn");
        turns.all();
        assertEquals(N, purged.get());

        publish(q, N, null);
        q.addConsumer(c, false);
        turns.all();
        q.wakeup();
        turns.all();
        List<QueueEntry> more = new ArrayList<>();
        c.deliveries.drainTo(more);
        assertEquals(N, more.size());
        q.reject(more);
        turns.one();
        int dead = fx.deadLetters.size();
        assertTrue(dead > 0 && dead < N, "one reject turn dead-lettered " + dead + " of " + N);
        turns.all();
        assertEquals(N, fx.deadLetters.size());
    }

    @Test
    void batchesRejectedInPartsAreDeadLetteredInTheOrderTheyCame() throws Exception {
        MessageQueue q = fx.queue("q", args("x-dead-letter-exchange", "dlx"));
        List<QueueEntry> all = deliverAll(q);
        // As a channel hands a large nack over: parts larger than the queue's slice, one after the other.
        for (int from = 0; from < N; from += 3000) {
            q.reject(all.subList(from, Math.min(N, from + 3000)));
        }
        for (int i = 0; i < N; i++) {
            QueueFixture.Death d = fx.deadLetters.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(String.valueOf(i), new String(d.message().body()), "dead-letter " + i);
        }
    }
}
