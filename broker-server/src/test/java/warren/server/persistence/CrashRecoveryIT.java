package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * Crash recovery of persistent messages: a node process takes confirmed persistent publishes from 3
 * producers (one durable queue each, per-queue sequence numbers in the body) while a consumer on queue 0
 * acks some deliveries; the node is SIGKILLed at a random moment, restarted on the same data dir, and
 * every confirmed message must be back exactly once, in publish order, and a delivered-but-unacked one
 * flagged redelivered. Repeated {@value #ROUNDS} times (seed printed; {@code -Dwarren.crash.seed=N} replays).
 * Each round uses its own queues; the verification drains and deletes the previous round's queues.
 */
class CrashRecoveryIT {

    static final int ROUNDS = Integer.getInteger("warren.crash.rounds", 20);
    static final int QUEUES = 3;
    static final int WINDOW = 2000;

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void killNode() {
        if (node != null) {
            node.close();
        }
    }

    /** What one round's clients saw before the crash. */
    static final class Round {
        final int n;
        final List<Set<Long>> confirmed = new ArrayList<>();
        final List<Set<Long>> published = new ArrayList<>();
        /** queue 0: seq -> redelivered flag of the delivery the consumer saw. */
        final Map<Long, Boolean> delivered = new ConcurrentHashMap<>();
        final Set<Long> acked = ConcurrentHashMap.newKeySet();

        Round(int n) {
            this.n = n;
            for (int i = 0; i < QUEUES; i++) {
                confirmed.add(ConcurrentHashMap.newKeySet());
                published.add(ConcurrentHashMap.newKeySet());
            }
        }

        String queue(int q) {
            return "crash-r" + n + "-q" + q;
        }
    }

    @Test
    void confirmedMessagesSurviveRepeatedSigkill() throws Exception {
        long seed = Long.getLong("warren.crash.seed", System.nanoTime());
        System.out.println("CrashRecoveryIT seed " + seed + " (replay with -Dwarren.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        node = new NodeProcess(dir.resolve("node"), "-Xmx256m");
        long t0 = System.nanoTime();
        List<String> stats = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Round previous = null;
        for (int r = 1; r <= ROUNDS + 1; r++) {
            long ts = System.nanoTime();
            node.start();
            long started = System.nanoTime();
            if (previous != null) {
                stats.add(verify(previous, problems));
            }
            if (r > ROUNDS) {
                node.stop();
                break;
            }
            Round round = new Round(r);
            int delay = 200 + random.nextInt(1301);
            runAndKill(round, delay);
            System.out.printf("round %d: start %d ms, kill after %d ms, published %s confirmed %s delivered %d acked %d%n",
                    r, (started - ts) / 1_000_000, delay, sizes(round.published), sizes(round.confirmed),
                    round.delivered.size(), round.acked.size());
            previous = round;
        }
        System.out.println("CrashRecoveryIT: " + ROUNDS + " kill/restart rounds in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        stats.forEach(System.out::println);
        if (!problems.isEmpty()) {
            fail(problems.size() + " problem(s) (seed " + seed + "):\n" + String.join("\n",
                    problems.subList(0, Math.min(40, problems.size()))));
        }
    }

    private static List<Integer> sizes(List<Set<Long>> sets) {
        return sets.stream().map(Set::size).toList();
    }

    private void runAndKill(Round round, int killDelayMs) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Connection> connections = new ArrayList<>();
        try (Connection setup = node.connect(); Channel ch = setup.createChannel()) {
            for (int q = 0; q < QUEUES; q++) {
                ch.queueDeclare(round.queue(q), true, false, false, null);
            }
        }
        CountDownLatch producing = new CountDownLatch(QUEUES);
        List<Thread> threads = new ArrayList<>();
        // the consumer on queue 0: acks deliveries whose seq % 3 != 0, keeps the rest unacked
        Connection cc = node.connect();
        connections.add(cc);
        Channel cch = cc.createChannel();
        cch.basicConsume(round.queue(0), false, new DefaultConsumer(cch) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                long seq = parse(body)[2];
                round.delivered.put(seq, env.isRedeliver());
                if (seq % 3 != 0) {
                    try {
                        getChannel().basicAck(env.getDeliveryTag(), false);
                        round.acked.add(seq);
                    } catch (Exception e) {
                        // connection died with the node
                    }
                }
            }
        });
        for (int q = 0; q < QUEUES; q++) {
            int queue = q;
            Connection c = node.connect();
            connections.add(c);
            Thread t = new Thread(() -> produce(c, round, queue, stop, producing), "producer-" + q);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        assertTrue(producing.await(30, TimeUnit.SECONDS), "producers started");
        Thread.sleep(killDelayMs); // the random crash moment is the point of the test
        node.kill9();
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
            assertTrue(!t.isAlive(), t.getName() + " finished");
        }
        for (Connection c : connections) {
            try {
                c.abort(1000);
            } catch (Exception ignored) {
                // already dead
            }
        }
    }

    private static void produce(Connection c, Round round, int queue, AtomicBoolean stop, CountDownLatch producing) {
        NavigableMap<Long, Long> outstanding = new ConcurrentSkipListMap<>(); // delivery tag -> seq
        Semaphore window = new Semaphore(WINDOW);
        try {
            Channel ch = c.createChannel();
            ch.confirmSelect();
            ch.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long tag, boolean multiple) {
                    settle(tag, multiple, true);
                }

                @Override
                public void handleNack(long tag, boolean multiple) {
                    settle(tag, multiple, false);
                }

                private void settle(long tag, boolean multiple, boolean ok) {
                    NavigableMap<Long, Long> done = multiple ? outstanding.headMap(tag, true)
                            : outstanding.subMap(tag, true, tag, true);
                    for (Map.Entry<Long, Long> e : done.entrySet()) {
                        if (ok) {
                            round.confirmed.get(queue).add(e.getValue());
                        }
                        window.release();
                    }
                    done.clear();
                }
            });
            producing.countDown();
            String name = round.queue(queue);
            for (long seq = 1; !stop.get(); seq++) {
                while (!window.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                    if (stop.get() || !c.isOpen()) {
                        return;
                    }
                }
                byte[] body = (round.n + "," + queue + "," + seq).getBytes(StandardCharsets.US_ASCII);
                long tag = ch.getNextPublishSeqNo();
                outstanding.put(tag, seq);
                round.published.get(queue).add(seq);
                ch.basicPublish("", name, MessageProperties.PERSISTENT_BASIC, body);
            }
        } catch (Exception e) {
            // the node was killed under us: expected
        } finally {
            producing.countDown();
        }
    }

    static long[] parse(byte[] body) {
        String[] p = new String(body, StandardCharsets.US_ASCII).split(",");
        return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2])};
    }

    /** Drains the round's queues after the restart and checks them against what the clients saw. */
    private String verify(Round round, List<String> problems) throws Exception {
        StringBuilder stat = new StringBuilder("round " + round.n + " after restart:");
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            for (int q = 0; q < QUEUES; q++) {
                String name = round.queue(q);
                int count = ch.queueDeclarePassive(name).getMessageCount();
                List<long[]> got = drain(c, name, count); // {seq, redelivered}
                Set<Long> seen = new java.util.HashSet<>();
                long last = 0;
                int redelivered = 0;
                for (long[] m : got) {
                    long seq = m[0];
                    if (!seen.add(seq)) {
                        problems.add("round " + round.n + " " + name + ": seq " + seq + " delivered twice");
                    }
                    if (seq <= last) {
                        problems.add("round " + round.n + " " + name + ": seq " + seq + " after " + last
                                + " (publish order lost)");
                    }
                    last = Math.max(last, seq);
                    if (!round.published.get(q).contains(seq)) {
                        problems.add("round " + round.n + " " + name + ": seq " + seq + " was never published");
                    }
                    if (m[1] == 1) {
                        redelivered++;
                    }
                    if (q == 0 && round.delivered.containsKey(seq) && m[1] == 0) {
                        problems.add("round " + round.n + " " + name + ": seq " + seq + " was delivered before the"
                                + " crash (" + (round.acked.contains(seq) ? "acked" : "not acked")
                                + ") but came back redelivered=false");
                    }
                }
                int missing = 0;
                for (long seq : round.confirmed.get(q)) {
                    if (!seen.contains(seq) && !(q == 0 && round.acked.contains(seq))) {
                        missing++;
                        if (missing <= 5) {
                            problems.add("round " + round.n + " " + name + ": confirmed seq " + seq + " lost");
                        }
                    }
                }
                if (missing > 5) {
                    problems.add("round " + round.n + " " + name + ": " + missing + " confirmed messages lost in all");
                }
                stat.append(String.format(" %s recovered %d (confirmed %d, redelivered %d);", name, got.size(),
                        round.confirmed.get(q).size(), redelivered));
                assertNull(ch.basicGet(name, true), name + " is empty after the drain");
                ch.queueDelete(name);
            }
        }
        return stat.toString();
    }

    /** Consumes exactly {@code count} messages (prefetch 1000, multiple acks); bounded wait. */
    private static List<long[]> drain(Connection c, String queue, int count) throws Exception {
        List<long[]> out = java.util.Collections.synchronizedList(new ArrayList<>());
        if (count == 0) {
            return out;
        }
        CountDownLatch done = new CountDownLatch(1);
        Channel ch = c.createChannel();
        ch.basicQos(1000);
        String tag = ch.basicConsume(queue, false, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String t, Envelope env, AMQP.BasicProperties props, byte[] body)
                    throws java.io.IOException {
                out.add(new long[] {parse(body)[2], env.isRedeliver() ? 1 : 0});
                if (out.size() % 500 == 0 || out.size() >= count) {
                    getChannel().basicAck(env.getDeliveryTag(), true);
                }
                if (out.size() >= count) {
                    done.countDown();
                }
            }
        });
        assertTrue(done.await(60, TimeUnit.SECONDS), queue + ": got " + out.size() + " of " + count + " messages");
        ch.basicCancel(tag);
        ch.close();
        assertEquals(count, out.size(), queue + ": more messages than the queue reported");
        return out;
    }
}
