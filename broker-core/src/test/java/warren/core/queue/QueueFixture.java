package warren.core.queue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import warren.core.amqp.BasicProperties;
import warren.core.message.Message;

/** A queue on its own serial executor with a recording host; helpers to publish and wait. */
final class QueueFixture implements AutoCloseable {
    static final long WAIT_SECONDS = 5;

    record Death(Message message, String reason) {
    }

    final ExecutorService pool = Executors.newFixedThreadPool(2);
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final BlockingQueue<Death> deadLetters = new LinkedBlockingQueue<>();
    final BlockingQueue<String> deleteRequests = new LinkedBlockingQueue<>();
    final AtomicLong memory = new AtomicLong();

    final QueueHost host = new QueueHost() {
        @Override
        public void deadLetter(MessageQueue source, Message message, String reason) {
            deadLetters.add(new Death(message, reason));
        }

        @Override
        public void deleteUnused(MessageQueue queue, String why) {
            deleteRequests.add(why);
        }

        @Override
        public void adjustMemory(long delta) {
            memory.addAndGet(delta);
        }

        @Override
        public ScheduledExecutorService timer() {
            return timer;
        }
    };

    MessageQueue queue(String name, Map<String, Object> args) {
        return queue(name, false, args);
    }

    MessageQueue queue(String name, boolean autoDelete, Map<String, Object> args) {
        return new MessageQueue("/", name, false, false, autoDelete, null, QueueArguments.parse(args, name, "/"),
                new SerialExecutor(pool), host, new warren.core.store.InMemoryMessageStore());
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    static Message message(String body) {
        return message(body, null, null);
    }

    static Message message(String body, Integer priority, String expiration) {
        BasicProperties p = new BasicProperties(null, null, null, null, priority, null, null, expiration, null, null,
                null, null, null, null);
        return new Message("ex", "rk", p, new byte[0], body.getBytes(), System.currentTimeMillis());
    }

    static String body(QueueEntry e) {
        return new String(e.message().body());
    }

    /** Waits for every task posted to {@code q} so far; returns its counts. */
    static MessageQueue.Counts sync(MessageQueue q) throws Exception {
        return q.counts().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    static void publishAll(MessageQueue q, String... bodies) {
        for (String b : bodies) {
            q.publish(message(b), null);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pool.shutdownNow();
    }

    /** A consumer that records deliveries and holds at most {@code limit} of them unacknowledged. */
    static final class RecordingConsumer implements QueueConsumer {
        final String tag;
        final int priority;
        final int limit;
        final AtomicInteger outstanding = new AtomicInteger();
        final BlockingQueue<QueueEntry> deliveries = new LinkedBlockingQueue<>();
        final CountDownLatch cancelled = new CountDownLatch(1);
        final List<Boolean> activeChanges = new ArrayList<>();

        RecordingConsumer(String tag) {
            this(tag, 0, Integer.MAX_VALUE);
        }

        RecordingConsumer(String tag, int priority, int limit) {
            this.tag = tag;
            this.priority = priority;
            this.limit = limit;
        }

        @Override
        public String tag() {
            return tag;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public boolean ackRequired() {
            return true;
        }

        @Override
        public boolean tryReserve() {
            if (outstanding.get() >= limit) {
                return false;
            }
            outstanding.incrementAndGet();
            return true;
        }

        @Override
        public void deliver(MessageQueue queue, QueueEntry entry) {
            deliveries.add(entry);
        }

        @Override
        public void cancelledByQueue(MessageQueue queue) {
            cancelled.countDown();
        }

        @Override
        public synchronized void activeChanged(boolean active) {
            activeChanges.add(active);
        }

        @Override
        public Map<String, Object> info() {
            return Map.of("consumer_tag", tag);
        }

        QueueEntry next() throws InterruptedException {
            QueueEntry e = deliveries.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError(tag + ": no delivery within " + WAIT_SECONDS + " s");
            }
            return e;
        }

        List<String> drainBodies() {
            List<QueueEntry> got = new ArrayList<>();
            deliveries.drainTo(got);
            List<String> out = new ArrayList<>();
            for (QueueEntry e : got) {
                out.add(body(e));
            }
            return out;
        }

        /** Acks one delivery as far as prefetch goes and asks the queue to dispatch again. */
        void settle(MessageQueue q, QueueEntry e) {
            outstanding.decrementAndGet();
            q.ack(List.of(e));
            q.wakeup();
        }
    }
}
