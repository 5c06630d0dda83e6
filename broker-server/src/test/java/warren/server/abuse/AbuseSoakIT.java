package warren.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * The abuse soak (issue #10): one real node process under minutes of mixed hostile and normal
 * traffic. Not part of the default suite; run it with {@code bin/soak-abuse [MINUTES]} (default 30).
 *
 * <p>At once, until the deadline:
 * <ul>
 * <li><b>confirmed</b>: 2 pairs of persistent, confirmed publishers and acking consumers on durable
 *     queues; every confirmed sequence number must be consumed (lost = confirmed and never seen);</li>
 * <li><b>flood</b>: 2 publishers of 16 KiB transient messages without confirms, as fast as the node
 *     lets them, one queue with a consumer and one without (purged past 4 000 messages, so the memory
 *     alarm comes and goes); in rounds of 30 s, each ending with a clean connection close, after which
 *     consumed + purged + queued must equal what was sent (nothing read is dropped);</li>
 * <li><b>requeue</b>: a consumer that takes 20 000 unacked messages and closes, over and over; the queue
 *     must hold all 20 000 again each time;</li>
 * <li><b>stall</b>: 300 sockets that connect and never finish the handshake (TCP only or header only),
 *     reopened as soon as the node closes them;</li>
 * <li><b>malformed</b>: connections that send a bad frame and must be closed by the node;</li>
 * <li><b>names</b>: passive declares of a 250-character missing queue, which must give a channel 404;</li>
 * <li><b>churn</b>: connections opened and closed;</li>
 * <li><b>probe</b>: a round trip (passive queue.declare) every 50 ms, its worst latency per interval.</li>
 * </ul>
 * Every 10 s a line goes to stdout and to {@code target/soak/soak-<time>.tsv}: elapsed, the node's RSS,
 * and the counters. The run fails if the node dies, anything confirmed or read is lost, or RSS passes
 * the stated bound.
 */
@EnabledIfSystemProperty(named = "warren.soak.minutes", matches = "\\d+")
class AbuseSoakIT {
    private static final int HEAP_MB = 512;
    private static final int DIRECT_MB = 256;
    /** RSS bound: heap + direct memory + 512 MiB for metaspace, threads, RocksDB and the JVM itself. */
    private static final long RSS_BOUND_MB = HEAP_MB + DIRECT_MB + 512;
    private static final int REQUEUE_DEPTH = 20_000;

    @TempDir
    Path dir;

    private volatile boolean running = true;
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final LongAccumulator probeMaxMicros = new LongAccumulator(Math::max, 0);

    private AtomicLong counter(String name) {
        return counters.computeIfAbsent(name, k -> new AtomicLong());
    }

    @Test
    void soak() throws Exception {
        int minutes = Integer.getInteger("warren.soak.minutes");
        try (NodeProcess node = new NodeProcess(dir.resolve("node"), "-Xmx" + HEAP_MB + "m",
                "-XX:MaxDirectMemorySize=" + DIRECT_MB + "m", "-XX:+ExitOnOutOfMemoryError")
                .config("vm_memory_high_watermark.relative = 0.4\n")) {
            node.start();
            ConnectionFactory f = node.factory();
            f.setRequestedHeartbeat(30);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(minutes));
            List<Thread> workers = new ArrayList<>();
            List<ConfirmedPair> pairs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ConfirmedPair p = new ConfirmedPair(f, "soak.confirmed." + i);
                pairs.add(p);
                workers.add(worker("confirmed-" + i, p::run));
            }
            workers.add(worker("flood-consumed", () -> flood(f, "soak.flood.consumed", true)));
            workers.add(worker("flood-idle", () -> flood(f, "soak.flood.idle", false)));
            workers.add(worker("requeue", () -> requeueStorm(f)));
            workers.add(worker("stall", () -> stalls(node.amqpPort(), 300)));
            workers.add(worker("malformed", () -> malformed(node.amqpPort())));
            workers.add(worker("names", () -> longNames(f)));
            workers.add(worker("churn", () -> churn(f)));
            workers.add(worker("probe", () -> probe(f)));
            workers.forEach(Thread::start);

            Path out = Path.of("target", "soak", "soak-" + Instant.now().toString().replace(':', '-') + ".tsv");
            Files.createDirectories(out.getParent());
            long start = System.nanoTime();
            long maxRss = 0;
            String[] cols = {"confirmed.sent", "confirmed.acked", "confirmed.consumed", "flood.sent", "flood.rounds",
                    "requeue.cycles", "stall.closedByNode", "malformed.closedByNode", "names.404", "churn.opened",
                    "errors"};
            try (PrintWriter tsv = new PrintWriter(Files.newBufferedWriter(out))) {
                String header = "elapsed_s\trss_mb\tprobe_max_ms\t" + String.join("\t", cols);
                tsv.println(header);
                System.out.println("soak: " + minutes + " min, node pid " + node.pid() + ", writing " + out.toAbsolutePath());
                System.out.println(header);
                while (Instant.now().isBefore(deadline) && node.isAlive()) {
                    Thread.sleep(10_000); // the sampling interval of the report, not a wait for a result
                    long rss = rssMb(node.pid());
                    maxRss = Math.max(maxRss, rss);
                    StringBuilder line = new StringBuilder();
                    line.append((System.nanoTime() - start) / 1_000_000_000L).append('\t').append(rss).append('\t')
                            .append(String.format("%.1f", probeMaxMicros.getThenReset() / 1000.0));
                    for (String c : cols) {
                        line.append('\t').append(counter(c).get());
                    }
                    tsv.println(line);
                    tsv.flush();
                    System.out.println(line);
                }
            }
            boolean alive = node.isAlive();
            running = false;
            for (Thread t : workers) {
                t.join(180_000);
            }
            long lost = 0;
            for (ConfirmedPair p : pairs) {
                lost += p.lost();
            }
            System.out.printf("soak summary: node alive %s, max RSS %d MB (bound %d), lost confirmed %d, failures %d%n",
                    alive, maxRss, RSS_BOUND_MB, lost, failures.size());
            failures.forEach(x -> System.out.println("  failure: " + x));
            assertTrue(alive, "the node died during the soak; console:\n" + NodeProcess.tail(node.consoleFile(), 80));
            assertEquals(0, lost, "confirmed messages never consumed");
            assertTrue(failures.isEmpty(), "soak failures: " + failures);
            assertTrue(maxRss <= RSS_BOUND_MB, "RSS " + maxRss + " MB above the bound " + RSS_BOUND_MB + " MB");
            assertTrue(NodeProcess.cleanExit(node.stop()), "clean stop");
        }
    }

    private Thread worker(String name, Work work) {
        Thread t = new Thread(() -> {
            while (running) {
                try {
                    work.run();
                } catch (Exception e) {
                    if (running) {
                        counter("errors").incrementAndGet();
                        System.out.println("soak worker " + name + ": " + e);
                        pause(500);
                    }
                }
            }
        }, "soak-" + name);
        t.setDaemon(true);
        return t;
    }

    interface Work {
        void run() throws Exception;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ confirmed publish/consume

    /** A confirmed persistent publisher and an acking consumer; remembers what was confirmed and seen. */
    private final class ConfirmedPair {
        private final ConnectionFactory f;
        private final String queue;
        private final BitSet confirmed = new BitSet();
        private final BitSet seen = new BitSet();
        private long next;

        ConfirmedPair(ConnectionFactory f, String queue) {
            this.f = f;
            this.queue = queue;
        }

        void run() throws Exception {
            try (Connection pc = f.newConnection("soak-pub-" + queue); Connection cc = f.newConnection("soak-con-" + queue)) {
                Channel pub = pc.createChannel();
                pub.queueDeclare(queue, true, false, false, null);
                pub.confirmSelect();
                Channel con = cc.createChannel();
                con.basicQos(200);
                con.basicConsume(queue, false, new DefaultConsumer(con) {
                    @Override
                    public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                            throws IOException {
                        long seq = ByteBuffer.wrap(body).getLong();
                        synchronized (seen) {
                            seen.set((int) seq);
                        }
                        counter("confirmed.consumed").incrementAndGet();
                        getChannel().basicAck(env.getDeliveryTag(), false);
                    }
                });
                byte[] body = new byte[1024];
                while (running) {
                    long first = next;
                    for (int i = 0; i < 100; i++) {
                        ByteBuffer.wrap(body).putLong(next++);
                        pub.basicPublish("", queue, MessageProperties.PERSISTENT_BASIC, body);
                    }
                    counter("confirmed.sent").addAndGet(100);
                    pub.waitForConfirmsOrDie(120_000);
                    synchronized (confirmed) {
                        confirmed.set((int) first, (int) next);
                    }
                    counter("confirmed.acked").addAndGet(100);
                }
                awaitAllSeen(Duration.ofMinutes(3));
            }
        }

        private void awaitAllSeen(Duration bound) {
            long end = System.nanoTime() + bound.toNanos();
            while (lost() > 0 && System.nanoTime() < end) {
                pause(100);
            }
        }

        long lost() {
            BitSet missing;
            synchronized (confirmed) {
                missing = (BitSet) confirmed.clone();
            }
            synchronized (seen) {
                missing.andNot(seen);
            }
            return missing.cardinality();
        }
    }

    // ------------------------------------------------------------------ flood

    /**
     * 30-second rounds of 16 KiB publishes without confirms, as fast as the node reads them. The queue
     * without a consumer is purged (as an operator would) whenever it holds more than 4 000 messages, so
     * the memory alarm set by it clears again. After a clean close (close-ok means the node processed
     * every frame sent before it), consumed + purged + queued must equal sent.
     */
    private void flood(ConnectionFactory f, String queue, boolean withConsumer) throws Exception {
        AtomicLong consumed = new AtomicLong();
        try (Connection cc = f.newConnection("soak-flood-consumer-" + queue)) {
            Channel admin = cc.createChannel();
            admin.queueDeclare(queue, false, false, false, null);
            admin.queuePurge(queue);
            if (withConsumer) {
                Channel con = cc.createChannel();
                con.basicConsume(queue, true, (tag, d) -> consumed.incrementAndGet(), tag -> { });
            }
            AtomicLong sent = new AtomicLong();
            Connection pc = f.newConnection("soak-flood-" + queue);
            Thread publisher = new Thread(() -> {
                byte[] body = new byte[16 * 1024];
                long roundEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                try {
                    Channel pub = pc.createChannel();
                    while (running && System.nanoTime() < roundEnd) {
                        pub.basicPublish("", queue, null, body);
                        sent.incrementAndGet();
                    }
                    pc.close(); // clean close: returns after close-ok
                } catch (Exception e) {
                    failures.add(queue + ": publisher failed: " + e);
                }
            }, "soak-flood-publisher-" + queue);
            publisher.start();
            long purged = 0;
            while (publisher.isAlive()) {
                if (!withConsumer && admin.queueDeclarePassive(queue).getMessageCount() > 4_000) {
                    purged += admin.queuePurge(queue).getMessageCount();
                }
                publisher.join(200);
            }
            counter("flood.sent").addAndGet(sent.get());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            long queued = -1;
            while (System.nanoTime() < end) {
                queued = admin.queueDeclarePassive(queue).getMessageCount();
                if (consumed.get() + purged + queued == sent.get()) {
                    break;
                }
                pause(200);
            }
            if (consumed.get() + purged + queued != sent.get()) {
                failures.add(queue + ": sent " + sent.get() + " but consumed " + consumed.get() + " + purged " + purged
                        + " + queued " + queued);
            }
            counter("flood.rounds").incrementAndGet();
            admin.queueDelete(queue);
        }
    }

    // ------------------------------------------------------------------ requeue storm

    private void requeueStorm(ConnectionFactory f) throws Exception {
        String queue = "soak.requeue";
        try (Connection c = f.newConnection("soak-requeue-admin")) {
            Channel ch = c.createChannel();
            ch.queueDeclare(queue, false, false, false, null);
            ch.queuePurge(queue);
            try (Connection p = f.newConnection("soak-requeue-fill")) { // publishers may be blocked; this one is not
                Channel pc = p.createChannel();
                byte[] body = new byte[256];
                for (int i = 0; i < REQUEUE_DEPTH; i++) {
                    pc.basicPublish("", queue, null, body);
                }
            }
            while (running) {
                awaitDepth(ch, queue, REQUEUE_DEPTH, "before a requeue cycle");
                CountDownLatch all = new CountDownLatch(REQUEUE_DEPTH);
                Connection holder = f.newConnection("soak-requeue-holder");
                Channel hc = holder.createChannel();
                hc.basicConsume(queue, false, (tag, d) -> all.countDown(), tag -> { });
                if (!all.await(120, TimeUnit.SECONDS)) {
                    failures.add("requeue: holder got only " + (REQUEUE_DEPTH - all.getCount()) + " deliveries in 120 s");
                }
                holder.close(); // unacked deliveries go back to the queue
                awaitDepth(ch, queue, REQUEUE_DEPTH, "after the holder closed");
                counter("requeue.cycles").incrementAndGet();
            }
            ch.queueDelete(queue);
        }
    }

    private void awaitDepth(Channel ch, String queue, int depth, String when) throws IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long n = -1;
        while (System.nanoTime() < end) {
            n = ch.queueDeclarePassive(queue).getMessageCount();
            if (n == depth) {
                return;
            }
            pause(100);
        }
        failures.add("requeue: " + n + " ready instead of " + depth + " " + when);
        throw new IOException("requeue depth wrong " + when);
    }

    // ------------------------------------------------------------------ raw socket abuse

    /** Keeps {@code count} handshake-stalled sockets open; counts the ones the node closes. */
    private void stalls(int port, int count) throws Exception {
        List<Socket> open = new ArrayList<>();
        try {
            while (running) {
                open.removeIf(s -> {
                    if (closedByPeer(s)) {
                        counter("stall.closedByNode").incrementAndGet();
                        closeQuietly(s);
                        return true;
                    }
                    return false;
                });
                while (open.size() < count && running) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    s.setSoTimeout(1);
                    if (open.size() % 2 == 0) {
                        s.getOutputStream().write(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
                    }
                    open.add(s);
                }
                pause(200);
            }
        } finally {
            open.forEach(AbuseSoakIT::closeQuietly);
        }
    }

    private static boolean closedByPeer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                if (in.read() < 0) {
                    return true; // the node closed it (connection.start may come first for header-only ones)
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** A method frame whose end octet is wrong: the node must close the connection (501 FRAME_ERROR). */
    private void malformed(int port) throws Exception {
        while (running) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                s.setSoTimeout(15_000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
                out.write(new byte[] {1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 11, 0x00}); // bad frame-end
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                try {
                    while (in.read(buf) >= 0) {
                        // connection.start, then connection.close; then EOF
                    }
                    counter("malformed.closedByNode").incrementAndGet();
                } catch (java.net.SocketTimeoutException e) {
                    failures.add("malformed frame: connection still open after 15 s");
                }
            }
            pause(200);
        }
    }

    // ------------------------------------------------------------------ client-level

    private void longNames(ConnectionFactory f) throws Exception {
        String name = "q".repeat(250);
        try (Connection c = f.newConnection("soak-names")) {
            while (running) {
                Channel ch = c.createChannel();
                try {
                    ch.queueDeclarePassive(name);
                    failures.add("passive declare of a missing 250-character queue succeeded");
                } catch (IOException e) {
                    ShutdownSignalException sse = (ShutdownSignalException) e.getCause();
                    if (sse.isHardError()) {
                        failures.add("long name closed the connection: " + sse.getMessage());
                        return;
                    }
                    counter("names.404").incrementAndGet();
                }
                pause(100);
            }
        }
    }

    private void churn(ConnectionFactory f) throws Exception {
        while (running) {
            try (Connection c = f.newConnection("soak-churn")) {
                c.createChannel().queueDeclare("", false, true, true, null);
                counter("churn.opened").incrementAndGet();
            }
            pause(50);
        }
    }

    private void probe(ConnectionFactory f) throws Exception {
        try (Connection c = f.newConnection("soak-probe")) {
            Channel ch = c.createChannel();
            String q = ch.queueDeclare().getQueue();
            while (running) {
                long t0 = System.nanoTime();
                ch.queueDeclarePassive(q);
                probeMaxMicros.accumulate((System.nanoTime() - t0) / 1000);
                pause(50);
            }
        }
    }

    /** The process's resident set in MiB; -1 once it is gone. */
    private static long rssMb(long pid) throws IOException {
        Path status = Path.of("/proc/" + pid + "/status");
        List<String> lines;
        try {
            lines = Files.readAllLines(status, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            return -1;
        }
        for (String line : lines) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
