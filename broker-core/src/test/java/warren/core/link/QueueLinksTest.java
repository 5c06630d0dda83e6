package warren.core.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import warren.core.amqp.BasicProperties;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ContentHeader;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;

/**
 * The data link protocol between two brokers ("a", home of the queue, and "b", where its clients
 * are), over an in-memory connection pair that delivers frames in order on one thread per
 * direction, as the Netty transport does. What crosses processes is tested in broker-server's
 * RemoteQueueIT and HomeNodeFailureIT; this covers the protocol's edges one at a time.
 */
class QueueLinksTest {
    private static final long WAIT_MS = 5000;

    private Broker a;
    private Broker b;
    private Pipe toA;
    private Pipe toB;
    private MessageQueue home;
    private MessageQueue remote;

    /** One direction of an in-memory connection: frames are copied and handed over on its own thread. */
    private static final class Pipe implements LinkConnection {
        final String peer;
        final ExecutorService thread = Executors.newSingleThreadExecutor();
        volatile LinkHandler receiver;
        volatile LinkHandler owner;
        Pipe other;
        final AtomicBoolean open = new AtomicBoolean(true);
        volatile boolean writable = true;

        Pipe(String peer) {
            this.peer = peer;
        }

        @Override
        public String peer() {
            return peer;
        }

        @Override
        public void send(ByteBuf frame) {
            if (!open.get()) {
                frame.release();
                return;
            }
            thread.execute(() -> {
                try {
                    if (open.get()) {
                        receiver.onFrame(frame);
                    }
                } finally {
                    frame.release();
                }
            });
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        @Override
        public void setAutoRead(boolean read) {
        }

        @Override
        public boolean isOpen() {
            return open.get();
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                other.open.set(false);
                CountDownLatch done = new CountDownLatch(2);
                thread.execute(() -> {
                    owner.onClose();
                    done.countDown();
                });
                other.thread.execute(() -> {
                    other.owner.onClose();
                    done.countDown();
                });
                try {
                    done.await(WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** A consumer on b: records deliveries; its credit limit and writability are set by the test. */
    private static final class Client implements QueueConsumer {
        final boolean ack;
        final int limit;
        volatile boolean writable = true;
        final BlockingQueue<QueueEntry> got = new LinkedBlockingQueue<>();
        final CountDownLatch cancelled = new CountDownLatch(1);
        final AtomicInteger reserved = new AtomicInteger();

        Client(boolean ack, int limit) {
            this.ack = ack;
            this.limit = limit;
        }

        @Override
        public String tag() {
            return "ctag";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean ackRequired() {
            return ack;
        }

        @Override
        public boolean tryReserve() {
            throw new AssertionError("a remote queue's home reserves; the client's node never asks");
        }

        @Override
        public void reservedRemotely() {
            reserved.incrementAndGet();
        }

        @Override
        public int creditLimit() {
            return limit;
        }

        @Override
        public boolean writable() {
            return writable;
        }

        @Override
        public void deliver(MessageQueue queue, QueueEntry entry) {
            got.add(entry);
        }

        @Override
        public void cancelledByQueue(MessageQueue queue) {
            cancelled.countDown();
        }

        @Override
        public Map<String, Object> info() {
            return Map.of();
        }
    }

    @BeforeEach
    void link() {
        a = new Broker(BrokerSettings.defaults("a@test", Path.of("/nonexistent-a")));
        b = new Broker(BrokerSettings.defaults("b@test", Path.of("/nonexistent-b")));
        toA = new Pipe("a@test");   // b's connection to a
        toB = new Pipe("b@test");   // a's side of it
        toA.other = toB;
        toB.other = toA;
        LinkHandler client = b.links().connected(toA);
        LinkHandler server = a.links().accepted(toB);
        toA.receiver = server;
        toA.owner = client;
        toB.receiver = client;
        toB.owner = server;
        home = a.vhost("/").declareQueue("q", false, true, false, false, null, null);
        remote = b.vhost("/").declareQueue("q", false, true, false, false, null, null, "a@test");
    }

    @AfterEach
    void close() {
        toA.close();
        toA.thread.shutdownNow();
        toB.thread.shutdownNow();
        a.close();
        b.close();
    }

    private static Message message(String body) {
        BasicProperties p = BasicProperties.EMPTY;
        return new Message("", "q", p, ContentHeader.encodeProperties(p), body.getBytes(), System.currentTimeMillis());
    }

    private static String body(QueueEntry e) {
        return new String(e.message().body());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    private MessageQueue.Counts homeCounts() throws Exception {
        return home.counts().get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private List<Boolean> publish(int n) throws Exception {
        List<CompletableFuture<Boolean>> confirms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            remote.publish(message("m" + i), f::complete);
            confirms.add(f);
        }
        List<Boolean> out = new ArrayList<>();
        for (CompletableFuture<Boolean> f : confirms) {
            out.add(f.get(WAIT_MS, TimeUnit.MILLISECONDS));
        }
        return out;
    }

    @Test
    void publishesAreConfirmedByTheHomeAndKeepTheirOrder() throws Exception {
        assertTrue(publish(100).stream().allMatch(ok -> ok));
        assertEquals(100, homeCounts().ready());
        assertEquals(100, remote.counts().get(WAIT_MS, TimeUnit.MILLISECONDS).ready(), "counts asked of the home");
        for (int i = 0; i < 100; i++) {
            assertEquals("m" + i, new String(home.get(false).get(WAIT_MS, TimeUnit.MILLISECONDS).entry().message()
                    .body()));
        }
    }

    @Test
    void prefetchIsCreditAtTheHomeGivenBackBySettlements() throws Exception {
        publish(10);
        Client c = new Client(true, 3);
        remote.addConsumer(c, false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        await("3 deliveries", () -> c.got.size() == 3);
        await("3 unacked at the home", () -> homeCountsQuietly().unacked() == 3);
        assertEquals(3, c.got.size(), "no more than the credit");
        assertEquals(3, c.reserved.get(), "each delivery counted against the client's prefetch");
        QueueEntry first = c.got.poll();
        remote.ack(List.of(first));
        await("a fourth after one ack", () -> c.got.size() == 3);
        await("9 left at the home", () -> homeCountsQuietly().ready() == 6 && homeCountsQuietly().unacked() == 3);
    }

    private MessageQueue.Counts homeCountsQuietly() {
        try {
            return homeCounts();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void noAckConsumersGetAWindowReturnedOnlyWhileTheirClientCanTakeMore() throws Exception {
        int total = QueueLinks.WINDOW * 3;
        for (int i = 0; i < total; i++) {
            home.publish(message("m" + i), null);
        }
        Client c = new Client(false, 0);
        c.writable = false; // the client's socket is full from the start: no credit goes back
        remote.addConsumer(c, false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        await("one window delivered", () -> c.got.size() == QueueLinks.WINDOW);
        assertEquals(total - QueueLinks.WINDOW, homeCounts().ready(), "the home stops at the window");
        c.writable = true;
        remote.wakeup(); // what the client's connection does once it drains
        await("everything delivered", () -> c.got.size() == total);
        List<String> order = new ArrayList<>();
        c.got.forEach(e -> order.add(body(e)));
        for (int i = 0; i < total; i++) {
            assertEquals("m" + i, order.get(i));
        }
    }

    @Test
    void getPurgeAndDeleteAreAnsweredByTheHome() throws Exception {
        publish(5);
        MessageQueue.GetResult r = remote.get(true).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals("m0", body(r.entry()));
        assertEquals(4, r.remaining());
        remote.requeue(List.of(r.entry()));
        MessageQueue.GetResult again = remote.get(false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals("m0", body(again.entry()));
        assertTrue(again.entry().redelivered(), "requeued at the home: redelivered");
        assertEquals(4, remote.purge().get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertNull(remote.get(false).get(WAIT_MS, TimeUnit.MILLISECONDS).entry());
        publish(2);
        Client c = new Client(true, 0);
        remote.addConsumer(c, false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        await("both delivered", () -> c.got.size() == 2);
        ExecutionException inUse = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> remote.delete(true, false).get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(406, ((ChannelException) inUse.getCause()).replyCode().code(), "if-unused checked at the home");
        assertEquals(0, remote.delete(false, false).get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertTrue(c.cancelled.await(WAIT_MS, TimeUnit.MILLISECONDS), "the client's consumer is told");
    }

    @Test
    void aLinkThatClosesRequeuesWhatTheClientHeldCancelsItsConsumersAndNacksWhatWasInFlight() throws Exception {
        publish(5);
        Client c = new Client(true, 2);
        remote.addConsumer(c, false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        await("2 held", () -> c.got.size() == 2);
        toA.close();
        assertTrue(c.cancelled.await(WAIT_MS, TimeUnit.MILLISECONDS), "consumer cancelled when its home is gone");
        await("held deliveries back at the home", () -> homeCountsQuietly().ready() == 5
                && homeCountsQuietly().unacked() == 0 && homeCountsQuietly().consumers() == 0);
        MessageQueue.GetResult first = home.get(false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals("m0", body(first.entry()));
        assertTrue(first.entry().redelivered(), "flagged redelivered");
        assertFalse(remote.isAvailable(), "the home is unreachable now");
        CompletableFuture<Boolean> confirm = new CompletableFuture<>();
        remote.publish(message("late"), confirm::complete);
        assertFalse(confirm.get(WAIT_MS, TimeUnit.MILLISECONDS), "a publish the home cannot take is nacked");
        ExecutionException down = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> remote.get(true).get(WAIT_MS, TimeUnit.MILLISECONDS));
        assertEquals(404, ((ChannelException) down.getCause()).replyCode().code());
        assertTrue(down.getCause().getMessage().contains("home node 'a@test'"), down.getCause().getMessage());
    }

    @Test
    void aConsumerCancelledWhileDeliveriesAreOnTheirWayGivesThemBack() throws Exception {
        Client c = new Client(true, 0);
        remote.addConsumer(c, false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        for (int i = 0; i < 500; i++) {
            home.publish(message("m" + i), null);
        }
        remote.removeConsumer(c).get(WAIT_MS, TimeUnit.MILLISECONDS);
        List<QueueEntry> held = new ArrayList<>(c.got);
        remote.ack(held);
        await("every message acked or back in the queue", () -> homeCountsQuietly().unacked() == 0
                && homeCountsQuietly().ready() == 500 - held.size());
        assertNotNull(homeCounts());
    }

    @Test
    void aRequestForAQueueTheHomeHasNotAppliedYetWaitsForItsDefinition() throws Exception {
        MessageQueue early = b.vhost("/").declareQueue("late", false, true, false, false, null, null, "a@test");
        CompletableFuture<MessageQueue.Counts> counts = early.counts();
        Thread.sleep(50); // the request is at the home before the definition: it must wait, not answer 404
        a.vhost("/").declareQueue("late", false, true, false, false, null, null);
        assertEquals(0, counts.get(WAIT_MS, TimeUnit.MILLISECONDS).ready());
    }
}
