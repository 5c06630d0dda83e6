package warren.server.abuse;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A publisher flood against one node, with real AMQP clients (RabbitMQ's Java client), that counts
 * every message: sent (basic.publish written to the socket), confirmed, consumed and left queued.
 * Bodies carry (publisher, seq) so each consumed message is matched to what was sent; nothing is
 * inferred from totals alone.
 *
 * <p>A run: declare the queue, start the consumers (if any), start the publishers (plain ones
 * without confirms, and confirm-mode ones with a window), flood for the given duration, then stop
 * the publishers: each finishes its current publish and closes its connection cleanly
 * (connection.close / close-ok: every frame it wrote was read and handled by the node). Then the
 * queue is drained (by the consumers, or by drain consumers started now when there were none) and
 * the counts are final. {@link Result#problems()} lists every broken relation: a clean close means
 * every sent message is consumed or still queued; every confirmed message is consumed.
 *
 * <p>Reusable as a soak building block: {@link #main} floods a given port for N minutes and prints
 * the counts (docs/configuration.md, "Memory alarm and publisher flow").
 */
public final class Flood {

    /** What to run. */
    public record Options(String host, int port, String queue, boolean persistent, int publishers,
                          int confirmPublishers, int consumers, int bodySize, long consumerDelayMicros,
                          Duration duration, long nodePid) {
        public Options {
            if (publishers + confirmPublishers == 0) {
                throw new IllegalArgumentException("no publishers");
            }
            if (bodySize < 16) {
                throw new IllegalArgumentException("body of at least 16 bytes (publisher and seq)");
            }
        }
    }

    /** What happened. */
    public record Result(long sent, long confirmed, long nacked, long consumed, long duplicates, long queued,
                         long lostUnconfirmed, long lostConfirmed, long unknown, int blockedConnections,
                         int uncleanCloses, long maxRssKiB, String errors) {
        /** The broken relations, empty when every message is accounted for. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            if (lostConfirmed > 0) {
                p.add(lostConfirmed + " confirmed messages were never consumed");
            }
            if (lostUnconfirmed > 0) {
                p.add(lostUnconfirmed + " sent messages (publisher closed cleanly) were neither consumed nor queued");
            }
            if (duplicates > 0) {
                p.add(duplicates + " messages consumed twice");
            }
            if (unknown > 0) {
                p.add(unknown + " consumed messages were never sent");
            }
            if (uncleanCloses > 0) {
                p.add(uncleanCloses + " publisher connections did not close cleanly");
            }
            if (!errors.isEmpty()) {
                p.add("client errors: " + errors);
            }
            return p;
        }

        @Override
        public String toString() {
            return "sent=" + sent + " confirmed=" + confirmed + " nacked=" + nacked + " consumed=" + consumed
                    + " queued=" + queued + " duplicates=" + duplicates + " lostUnconfirmed=" + lostUnconfirmed
                    + " lostConfirmed=" + lostConfirmed + " blockedConnections=" + blockedConnections
                    + " uncleanCloses=" + uncleanCloses + " maxRssKiB=" + maxRssKiB;
        }
    }

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(180);
    private static final int CONFIRM_WINDOW = 2000;

    private final Options o;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong consumedTotal = new AtomicLong();
    private final AtomicLong nacked = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();
    private final AtomicLong maxRss = new AtomicLong();
    private final AtomicReference<String> errors = new AtomicReference<>("");
    private final AtomicLong blocked = new AtomicLong();
    private final AtomicLong unclean = new AtomicLong();
    private final Tally[] tallies;
    private final List<Connection> consumerConnections = new ArrayList<>();

    /** Per publisher: what it sent, what was confirmed and what came out of the queue. */
    private static final class Tally {
        final BitSet confirmed = new BitSet();
        final BitSet consumed = new BitSet();
        volatile long lastSent;
        volatile boolean cleanClose;
    }

    public Flood(Options options) {
        this.o = options;
        this.tallies = new Tally[options.publishers() + options.confirmPublishers()];
        for (int i = 0; i < tallies.length; i++) {
            tallies[i] = new Tally();
        }
    }

    /** Current counts for progress lines (not final until {@link #run} returns). */
    public String progress() {
        long confirmed = 0;
        for (Tally t : tallies) {
            synchronized (t) {
                confirmed += t.confirmed.cardinality();
            }
        }
        return "sent=" + sent.get() + " confirmed=" + confirmed + " consumed=" + consumedTotal.get()
                + " blockedConnections=" + blocked.get() + (o.nodePid() > 0 ? " rssKiB=" + rssKiB(o.nodePid()) : "");
    }

    public ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(o.host());
        f.setPort(o.port());
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setConnectionTimeout(10_000);
        f.setRequestedHeartbeat(0);
        f.setShutdownTimeout(0);
        return f;
    }

    /** Floods for the duration, stops, drains, returns the final counts. {@code whileFlooding} runs once the flood runs. */
    public Result run(Runnable whileFlooding) throws Exception {
        ConnectionFactory f = factory();
        try (Connection admin = f.newConnection("flood-admin")) {
            Channel ch = admin.createChannel();
            ch.queueDeclare(o.queue(), o.persistent(), false, false, null);
        }
        Thread sampler = startRssSampler();
        try {
            for (int i = 0; i < o.consumers(); i++) {
                startConsumer(f, o.consumerDelayMicros());
            }
            List<Thread> publishers = new ArrayList<>();
            for (int i = 0; i < tallies.length; i++) {
                publishers.add(startPublisher(f, i, i >= o.publishers()));
            }
            if (whileFlooding != null) {
                whileFlooding.run();
            }
            new CountDownLatch(1).await(o.duration().toMillis(), TimeUnit.MILLISECONDS); // the flood's length
            stop.set(true);
            if (o.consumers() == 0) {
                startConsumer(f, 0); // nothing consumed during the flood: drain now so blocked publishers can finish
                startConsumer(f, 0);
            }
            long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos() + DRAIN_TIMEOUT.toNanos();
            for (Thread t : publishers) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (t.isAlive()) {
                    error("publisher " + t.getName() + " still runs at the end of the drain");
                    t.interrupt();
                }
            }
            long queued = drain(f);
            return result(queued);
        } finally {
            for (Connection c : consumerConnections) {
                closeQuietly(c);
            }
            sampler.interrupt();
        }
    }

    private Result result(long queued) {
        long confirmed = 0;
        long lostConfirmed = 0;
        long lostUnconfirmed = 0;
        long consumed = 0;
        for (Tally t : tallies) {
            synchronized (t) {
                confirmed += t.confirmed.cardinality();
                consumed += t.consumed.cardinality();
                BitSet c = (BitSet) t.confirmed.clone();
                c.andNot(t.consumed);
                lostConfirmed += c.cardinality();
            }
        }
        if (queued == 0) {
            // Once the queue is empty every message sent before a clean close must have been consumed.
            for (Tally t : tallies) {
                synchronized (t) {
                    if (t.cleanClose) {
                        BitSet s = new BitSet();
                        s.set(1, (int) t.lastSent + 1);
                        s.andNot(t.consumed);
                        lostUnconfirmed += s.cardinality();
                    }
                }
            }
        } else {
            lostUnconfirmed = Math.max(0, sent.get() - consumed - queued);
        }
        return new Result(sent.get(), confirmed, nacked.get(), consumed, duplicates.get(), queued, lostUnconfirmed,
                lostConfirmed, unknown.get(), (int) blocked.get(), (int) unclean.get(), maxRss.get(), errors.get());
    }

    private Thread startPublisher(ConnectionFactory f, int index, boolean confirms) throws Exception {
        Connection c = f.newConnection("flood-publisher-" + index);
        AtomicBoolean wasBlocked = new AtomicBoolean();
        c.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                if (wasBlocked.compareAndSet(false, true)) {
                    blocked.incrementAndGet();
                }
            }

            @Override
            public void handleUnblocked() {
            }
        });
        Channel ch = c.createChannel();
        Tally tally = tallies[index];
        Semaphore window = new Semaphore(CONFIRM_WINDOW);
        ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();
        if (confirms) {
            ch.confirmSelect();
            ch.addConfirmListener((tag, multiple) -> settle(tally, outstanding, window, tag, multiple, true),
                    (tag, multiple) -> settle(tally, outstanding, window, tag, multiple, false));
        }
        AMQP.BasicProperties props = o.persistent() ? MessageProperties.PERSISTENT_BASIC : MessageProperties.BASIC;
        Thread t = new Thread(() -> {
            byte[] body = new byte[o.bodySize()];
            long seq = 0;
            try {
                while (!stop.get()) {
                    if (confirms && !window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    seq++;
                    ByteBuffer.wrap(body).putInt(index).putLong(seq);
                    if (confirms) {
                        outstanding.add(ch.getNextPublishSeqNo());
                    }
                    ch.basicPublish("", o.queue(), props, body);
                    tally.lastSent = seq;
                    sent.incrementAndGet();
                }
                if (confirms && !window.tryAcquire(CONFIRM_WINDOW, CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    error("publisher " + index + ": " + outstanding.size() + " confirms missing");
                }
                c.close((int) CLOSE_TIMEOUT.toMillis());
                tally.cleanClose = true;
            } catch (Exception e) {
                error("publisher " + index + ": " + e);
                unclean.incrementAndGet();
                closeQuietly(c);
            }
        }, "flood-publisher-" + index);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void settle(Tally tally, ConcurrentSkipListSet<Long> outstanding, Semaphore window, long tag,
                        boolean multiple, boolean ack) {
        var done = multiple ? outstanding.headSet(tag, true) : outstanding.subSet(tag, true, tag, true);
        int n = 0;
        synchronized (tally) {
            for (Long seq : done) {
                if (ack) {
                    tally.confirmed.set(seq.intValue());
                }
                n++;
            }
        }
        if (!ack) {
            nacked.addAndGet(n);
        }
        done.clear();
        window.release(n);
    }

    private void startConsumer(ConnectionFactory f, long delayMicros) throws Exception {
        Connection c = f.newConnection("flood-consumer");
        synchronized (consumerConnections) {
            consumerConnections.add(c);
        }
        Channel ch = c.createChannel();
        ch.basicQos(200);
        ch.basicConsume(o.queue(), false, (tag, d) -> {
            ByteBuffer b = ByteBuffer.wrap(d.getBody());
            int p = b.getInt();
            long seq = b.getLong();
            if (p < 0 || p >= tallies.length || seq <= 0 || seq > Integer.MAX_VALUE) {
                unknown.incrementAndGet();
            } else {
                Tally t = tallies[p];
                synchronized (t) {
                    if (t.consumed.get((int) seq)) {
                        duplicates.incrementAndGet();
                    } else {
                        t.consumed.set((int) seq);
                        consumedTotal.incrementAndGet();
                    }
                }
            }
            if (delayMicros > 0) {
                LockSupport.parkNanos(delayMicros * 1000);
            }
            ch.basicAck(d.getEnvelope().getDeliveryTag(), false);
        }, tag -> { });
    }

    /** Waits (bounded) until the queue is empty and nothing more arrives; returns what is left queued. */
    private long drain(ConnectionFactory f) throws Exception {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        try (Connection admin = f.newConnection("flood-drain")) {
            Channel ch = admin.createChannel();
            long last = -1;
            long stableSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                long ready = ch.queueDeclarePassive(o.queue()).getMessageCount();
                long consumed = consumedTotal.get();
                if (consumed != last) {
                    last = consumed;
                    stableSince = System.nanoTime();
                } else if (ready == 0 && System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(1000)) {
                    return 0;
                }
                Thread.sleep(100); // polling interval of the bounded wait
            }
            long left = ch.queueDeclarePassive(o.queue()).getMessageCount();
            error("queue not drained within " + DRAIN_TIMEOUT + ": " + left + " ready");
            return left;
        }
    }

    private Thread startRssSampler() {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted() && o.nodePid() > 0) {
                long kib = rssKiB(o.nodePid());
                maxRss.accumulateAndGet(kib, Math::max);
                try {
                    Thread.sleep(100); // sampling interval
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "flood-rss");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Resident set size of a process (VmRSS of /proc/PID/status), in KiB; 0 when it is gone. */
    public static long rssKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private void error(String e) {
        errors.accumulateAndGet(e, (a, b) -> a.isEmpty() ? b : a + "; " + b);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.abort(5000);
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    /**
     * Floods a running node: {@code --port P [--host H] [--minutes M | --seconds S] [--publishers N]
     * [--confirm-publishers N] [--consumers N] [--consumer-delay-us U] [--body BYTES] [--persistent]
     * [--queue NAME] [--pid NODE_PID]}. Prints progress every 10 s and the final counts; exits 1 when
     * a relation is broken (a message lost or duplicated), 0 otherwise.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (k.equals("--persistent")) {
                a.put(k, "true");
            } else if (k.startsWith("--") && i + 1 < args.length) {
                a.put(k, args[++i]);
            } else {
                System.err.println("unknown argument " + k);
                System.exit(64);
            }
        }
        if (!a.containsKey("--port")) {
            System.err.println("usage: Flood --port P [--minutes M] [--publishers N] [--confirm-publishers N]"
                    + " [--consumers N] [--consumer-delay-us U] [--body BYTES] [--persistent] [--queue NAME] [--pid PID]");
            System.exit(64);
        }
        Duration d = a.containsKey("--seconds") ? Duration.ofSeconds(Long.parseLong(a.get("--seconds")))
                : Duration.ofMinutes(Long.parseLong(a.getOrDefault("--minutes", "1")));
        Options o = new Options(a.getOrDefault("--host", "127.0.0.1"), Integer.parseInt(a.get("--port")),
                a.getOrDefault("--queue", "flood"), a.containsKey("--persistent"),
                Integer.parseInt(a.getOrDefault("--publishers", "2")),
                Integer.parseInt(a.getOrDefault("--confirm-publishers", "1")),
                Integer.parseInt(a.getOrDefault("--consumers", "1")),
                Integer.parseInt(a.getOrDefault("--body", "16384")),
                Long.parseLong(a.getOrDefault("--consumer-delay-us", "0")), d,
                Long.parseLong(a.getOrDefault("--pid", "0")));
        Flood flood = new Flood(o);
        Thread progress = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(10_000); // progress interval
                } catch (InterruptedException e) {
                    return;
                }
                System.out.println(java.time.Instant.now() + " " + flood.progress());
            }
        }, "flood-progress");
        progress.setDaemon(true);
        progress.start();
        Result r = flood.run(null);
        progress.interrupt();
        System.out.println("result: " + r);
        List<String> problems = r.problems();
        problems.forEach(p -> System.out.println("PROBLEM: " + p));
        System.exit(problems.isEmpty() ? 0 : 1);
    }
}
