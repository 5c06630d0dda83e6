package warren.core.store.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import warren.core.amqp.BasicProperties;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueArguments;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;
import warren.core.queue.QueueHost;
import warren.core.queue.SerialExecutor;
import warren.core.store.StoredEntry;

/**
 * A delivery of a persistent message must not reach the consumer before its DELIVERED mark is in
 * RocksDB: a kill -9 right after the client saw it must bring it back redelivered. The consumer
 * checks, at the moment it is handed the delivery, what a restart would read (the database opened
 * read-only, WAL included). The store's writer is held up meanwhile, so that a delivery that does
 * not wait for its mark is caught every time.
 */
class DeliveredMarkTest {
    private static final long WAIT = 5;

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final CountDownLatch writerGate = new CountDownLatch(1);
    private RocksDbMessageStore store;

    private final QueueHost host = new QueueHost() {
        @Override
        public void deadLetter(MessageQueue source, Message message, String reason) {
        }

        @Override
        public void deleteUnused(MessageQueue queue, String why) {
        }

        @Override
        public void adjustMemory(long delta) {
        }

        @Override
        public ScheduledExecutorService timer() {
            return timer;
        }
    };

    /** What the consumer saw: the entry and its index flags on disk at that moment (-1: no record). */
    record Seen(QueueEntry entry, int flagsOnDisk) {
    }

    final class CheckingConsumer implements QueueConsumer {
        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final MessageQueue queue;

        CheckingConsumer(MessageQueue queue) {
            this.queue = queue;
        }

        @Override
        public String tag() {
            return "checker";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean ackRequired() {
            return true;
        }

        @Override
        public boolean tryReserve() {
            return true;
        }

        @Override
        public void deliver(MessageQueue q, QueueEntry entry) {
            seen.add(new Seen(entry, flagsOnDisk(q, entry)));
        }

        @Override
        public void cancelledByQueue(MessageQueue q) {
        }

        @Override
        public Map<String, Object> info() {
            return Map.of();
        }

        Seen next() throws InterruptedException {
            Seen s = seen.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(s, "no delivery within " + WAIT + " s");
            return s;
        }
    }

    @BeforeEach
    void open() {
        store = new RocksDbMessageStore(dir);
    }

    @AfterEach
    void close() {
        writerGate.countDown();
        store.close();
        pool.shutdownNow();
        timer.shutdownNow();
    }

    private MessageQueue queue(String name, boolean durable) {
        return new MessageQueue("/", name, durable, false, false, null, QueueArguments.parse(Map.of(), name, "/"),
                new SerialExecutor(pool), host, store);
    }

    private static Message message(String body, boolean persistent) {
        BasicProperties p = new BasicProperties(null, null, null, persistent ? 2 : 1, null, null, null, null, null,
                null, null, null, null, null);
        return new Message("", "q", p, new byte[0], body.getBytes(StandardCharsets.UTF_8), System.currentTimeMillis());
    }

    private static String body(QueueEntry e) {
        return new String(e.message().body(), StandardCharsets.UTF_8);
    }

    /** The flags of the entry's index record as a restart would read them now (-1: none). */
    private int flagsOnDisk(MessageQueue q, QueueEntry e) {
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        try (ColumnFamilyOptions cf = new ColumnFamilyOptions(); DBOptions options = new DBOptions()) {
            for (String name : List.of("default", "definitions", "messages", "queue_index")) {
                descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cf));
            }
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
                try {
                    byte[] key = Keys.indexKey(Keys.queuePrefix(q.storeKey()), e.seq());
                    byte[] value = db.get(handles.get(3), key);
                    return value == null ? -1 : Keys.indexEntry(key, value).flags();
                } finally {
                    handles.forEach(ColumnFamilyHandle::close);
                }
            }
        } catch (Exception ex) {
            throw new AssertionError("cannot read the store read-only", ex);
        }
    }

    /** Parks the store's writer thread until {@link #writerGate} opens: nothing gets written meanwhile. */
    private void holdWriter() throws InterruptedException {
        for (int attempt = 0; attempt < 100; attempt++) {
            CountDownLatch parked = new CountDownLatch(1);
            store.read("none\0none", 0, 1).thenRun(() -> {
                if (Thread.currentThread().getName().equals("warren-store-writer")) {
                    parked.countDown();
                    try {
                        writerGate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            if (parked.await(1, TimeUnit.SECONDS)) {
                return;
            }
        }
        throw new AssertionError("could not park the store's writer");
    }

    private static void sync(MessageQueue q) throws Exception {
        q.counts().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void deliveryOfAPersistentMessageWaitsForItsDeliveredMark() throws Exception {
        MessageQueue q = queue("durable", true);
        CheckingConsumer c = new CheckingConsumer(q);
        q.addConsumer(c, false).get(WAIT, TimeUnit.SECONDS);
        holdWriter();
        q.publish(message("p1", true), null);
        q.publish(message("p2", true), null);
        sync(q);
        Thread.sleep(200); // a delivery that does not wait for its mark reaches the consumer meanwhile
        writerGate.countDown();
        for (String expected : List.of("p1", "p2")) {
            Seen s = c.next();
            assertEquals(expected, body(s.entry()));
            assertTrue(s.flagsOnDisk() >= 0 && (s.flagsOnDisk() & StoredEntry.DELIVERED) != 0,
                    expected + ": a crash now would bring it back redelivered=false (flags on disk "
                            + s.flagsOnDisk() + ")");
        }
    }

    @Test
    void basicGetWithAckWaitsForItsDeliveredMark() throws Exception {
        MessageQueue q = queue("durable", true);
        q.publish(message("g1", true), null);
        sync(q);
        store.barrier().get(WAIT, TimeUnit.SECONDS);
        holdWriter();
        CompletableFuture<Seen> got = q.get(true).thenApply(r -> new Seen(r.entry(), flagsOnDisk(q, r.entry())));
        Thread.sleep(200);
        assertFalse(got.isDone(), "get-ok before its DELIVERED mark was written");
        writerGate.countDown();
        Seen s = got.get(WAIT, TimeUnit.SECONDS);
        assertEquals("g1", body(s.entry()));
        assertTrue((s.flagsOnDisk() & StoredEntry.DELIVERED) != 0, "flags on disk " + s.flagsOnDisk());
    }

    @Test
    void laterDeliveriesDoNotOvertakeOneWaitingForItsMark() throws Exception {
        MessageQueue q = queue("durable", true);
        CheckingConsumer c = new CheckingConsumer(q);
        q.addConsumer(c, false).get(WAIT, TimeUnit.SECONDS);
        holdWriter();
        q.publish(message("p1", true), null);
        q.publish(message("t2", false), null);
        q.publish(message("p3", true), null);
        q.publish(message("t4", false), null);
        sync(q);
        Thread.sleep(100);
        assertNull(c.seen.peek(), "a transient delivery overtook a persistent one waiting for its mark");
        writerGate.countDown();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(body(c.next().entry()));
        }
        assertEquals(List.of("p1", "t2", "p3", "t4"), order);
    }

    @Test
    void transientDeliveriesAndNonDurableQueuesDoNotWait() throws Exception {
        MessageQueue durable = queue("durable", true);
        MessageQueue plain = queue("plain", false);
        CheckingConsumer c1 = new CheckingConsumer(durable);
        CheckingConsumer c2 = new CheckingConsumer(plain);
        durable.addConsumer(c1, false).get(WAIT, TimeUnit.SECONDS);
        plain.addConsumer(c2, false).get(WAIT, TimeUnit.SECONDS);
        holdWriter();
        durable.publish(message("t1", false), null);
        plain.publish(message("p1", true), null);
        assertEquals("t1", body(c1.next().entry()));
        assertEquals("p1", body(c2.next().entry()));
    }

    @Test
    void aDeliveryHandedToACancelledConsumerCanStillBeRequeued() throws Exception {
        MessageQueue q = queue("durable", true);
        CheckingConsumer gone = new CheckingConsumer(q);
        q.addConsumer(gone, false).get(WAIT, TimeUnit.SECONDS);
        holdWriter();
        q.publish(message("p1", true), null);
        sync(q);
        q.removeConsumer(gone).get(WAIT, TimeUnit.SECONDS); // cancelled while the delivery waits for its mark
        writerGate.countDown();
        Seen late = gone.next();
        q.requeue(List.of(late.entry())); // what a channel does with a delivery for a consumer it no longer has
        CheckingConsumer next = new CheckingConsumer(q);
        q.addConsumer(next, false).get(WAIT, TimeUnit.SECONDS);
        q.wakeup();
        Seen again = next.next();
        assertEquals("p1", body(again.entry()));
        assertTrue(again.entry().redelivered());
        assertEquals(new MessageQueue.Counts(0, 1, 1), q.counts().get(WAIT, TimeUnit.SECONDS));
    }
}
