package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.TopologyRecoveryException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * The HA seed's setup: clients reach a 3-node cluster through one haproxy port (roundrobin, health
 * checks). Queues ha-a, ha-b, ha-c live on a, b, c. Six clients (RabbitMQ's Java client, automatic
 * connection and topology recovery) publish with confirms to all three queues and consume all three,
 * one channel per consumer. Node a is SIGKILLed:
 * <ul>
 * <li>the clients that went through a reconnect through haproxy to b or c within a bound, and keep
 * publishing (confirmed) and consuming ha-b and ha-c; the other clients are not disturbed;</li>
 * <li>every message confirmed to ha-b or ha-c is consumed (deliveries via a are held unacked from just
 * before the kill: they must come again, via b or c);</li>
 * <li>consumers of ha-a on b and c get basic.cancel; a recovered client's re-consume of ha-a gets 404
 * naming a (or, if its new node had not yet seen a leave, consume-ok then basic.cancel);</li>
 * <li>publishing to ha-a after the kill routes nowhere: mandatory publishes come back NO_ROUTE.</li>
 * </ul>
 */
class HaproxyFailoverIT extends ClusterNodes {
    private static final String COOKIE = "HAPROXYFAILOVERITCOOKIE";
    private static final long WAIT_MS = 60_000;
    /** From the kill until every client of a published and consumed again through b or c. */
    private static final long FAILOVER_BOUND_MS = 30_000;
    private static final int CLIENTS = 6;
    private static final List<String> QUEUES = List.of("ha-a", "ha-b", "ha-c");
    /** Confirmed messages to survivors and deliveries each client must see after its failover. */
    private static final int MORE_ROUND_TRIPS = 100;

    private Haproxy haproxy;
    private final List<LbClient> clients = new ArrayList<>();

    private volatile boolean killStarted;
    /**
     * Set (under {@link #ackGate}) just before the kill: deliveries via this node are no longer acked but
     * held, so every ack via it was sent while it ran, and every message it holds must come again.
     */
    private volatile String killedNode = "";
    private final Object ackGate = new Object();
    private volatile long killNanos;

    private final Map<String, Set<String>> confirmed = new ConcurrentHashMap<>();
    private final Set<String> consumed = ConcurrentHashMap.newKeySet();
    /** Every delivery of a message: the client, its node, and whether the kill had begun. */
    private final Map<String, List<String>> deliveries = new ConcurrentHashMap<>();
    private final Set<String> returned = ConcurrentHashMap.newKeySet();
    private final List<String> returnedAfterKill = new CopyOnWriteArrayList<>();
    private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopClientsAndHaproxy() throws InterruptedException {
        clients.forEach(LbClient::stop);
        clients.forEach(LbClient::close);
        if (haproxy != null) {
            haproxy.close();
        }
        // what a failover makes the nodes say beyond INFO (the link's errors, stalls), for the report
        for (NodeProcess n : nodes) {
            n.allLogs().lines().filter(l -> l.contains("[WARN") || l.contains("[ERROR") || l.contains("Exception"))
                    .distinct().forEach(l -> System.out.println("[haproxy-failover] " + n.nodeName() + " log: " + l));
        }
    }

    @Test
    void clientsBehindHaproxyFailOverToSurvivingNodesAndLoseNoConfirmedMessage() throws Exception {
        Haproxy.executable();
        List<NodeProcess> abc = ClusterCtl.cluster(root, nodes, COOKIE, "a", "b", "c");
        NodeProcess a = abc.get(0);
        List<NodeProcess> survivors = abc.subList(1, 3);
        for (int i = 0; i < 3; i++) {
            ClusterCtl.declareQueue(abc.get(i), QUEUES.get(i));
        }
        for (NodeProcess n : abc) {
            for (String q : QUEUES) {
                ClusterCtl.await(q + " reachable on " + n.nodeName(), WAIT_MS, () -> ClusterCtl.queueExists(n, q));
            }
        }
        QUEUES.forEach(q -> confirmed.put(q, ConcurrentHashMap.newKeySet()));

        Map<String, Integer> servers = new LinkedHashMap<>();
        abc.forEach(n -> servers.put(n.nodeName().substring(0, n.nodeName().indexOf('@')), n.amqpPort()));
        haproxy = Haproxy.start(root.resolve("haproxy"), servers);
        ClusterCtl.await("haproxy sees all three nodes UP", WAIT_MS, () -> statesAre("UP", "UP", "UP"));

        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new LbClient(i));
        }
        Map<String, List<Integer>> byNode = new TreeMap<>();
        for (LbClient cl : clients) {
            byNode.computeIfAbsent(cl.node(), k -> new ArrayList<>()).add(cl.id);
        }
        System.out.println("[haproxy-failover] clients per node before the kill: " + byNode);
        assertEquals(3, byNode.size(), "roundrobin spreads the clients over all three nodes: " + byNode);
        List<LbClient> onKilled = clients.stream().filter(cl -> cl.node().equals(a.nodeName())).toList();
        List<LbClient> onOthers = clients.stream().filter(cl -> !cl.node().equals(a.nodeName())).toList();

        clients.forEach(LbClient::startPublishing);
        ClusterCtl.await("every client publishes (confirmed) and consumes", WAIT_MS,
                () -> clients.stream().allMatch(cl -> cl.confirmedCount.get() >= 60 && cl.deliveredCount.get() >= 30));
        checkNoUnexpected();

        synchronized (ackGate) {
            killedNode = a.nodeName();
        }
        // a's consumers of ha-b and ha-c fill their prefetch: b and c hold those deliveries unacked for a
        ClusterCtl.await("the clients of a hold deliveries of ha-b and ha-c unacked", WAIT_MS,
                () -> onKilled.stream().allMatch(cl -> cl.heldViaKilled.get() >= 60));
        killStarted = true;
        killNanos = System.nanoTime();
        a.kill9();
        long killedAt = System.nanoTime();
        System.out.println("[haproxy-failover] a killed at " + java.time.LocalTime.now() + " (SIGKILL took "
                + ms(killedAt - killNanos) + " ms)");

        ClusterCtl.await("the clients of a reconnected through haproxy to b or c, published and consumed "
                + MORE_ROUND_TRIPS + " more", FAILOVER_BOUND_MS, () -> onKilled.stream().allMatch(cl ->
                cl.recoveries.get() >= 1 && !cl.node().equals(killedNode)
                        && cl.confirmedAfterKill.get() >= MORE_ROUND_TRIPS
                        && cl.deliveredAfterKill.get() >= MORE_ROUND_TRIPS));
        for (LbClient cl : onKilled) {
            System.out.println("[haproxy-failover] client " + cl.id + " of a: now on " + cl.node()
                    + ", first confirm after the kill " + ms(cl.firstConfirmAfterKill - killNanos)
                    + " ms, first delivery after the kill " + ms(cl.firstDeliveryAfterKill - killNanos) + " ms");
        }
        ClusterCtl.await("the other clients keep publishing and consuming " + MORE_ROUND_TRIPS + " more",
                FAILOVER_BOUND_MS, () -> onOthers.stream().allMatch(cl ->
                        cl.confirmedAfterKill.get() >= MORE_ROUND_TRIPS
                                && cl.deliveredAfterKill.get() >= MORE_ROUND_TRIPS));
        for (LbClient cl : onOthers) {
            assertEquals(0, cl.recoveries.get(), "client " + cl.id + " on " + cl.node() + " was not disconnected");
        }
        ClusterCtl.await("haproxy took a out of the rotation", WAIT_MS, () -> statesAre("DOWN", "UP", "UP"));

        // Consumers of ha-a: basic.cancel where the connection survived; where it was recovered, the
        // re-consume gets 404 naming a (or consume-ok and then basic.cancel, if the new node had not yet
        // seen a leave).
        ClusterCtl.await("the consumers of ha-a on b and c got basic.cancel", WAIT_MS,
                () -> onOthers.stream().allMatch(cl -> cl.cancelled.contains("ha-a")));
        ClusterCtl.await("the recovered clients' consumers of ha-a were refused (404) or cancelled", WAIT_MS,
                () -> onKilled.stream().allMatch(cl -> !cl.reconsumeRefusals.isEmpty() || cl.cancelled.contains("ha-a")));
        for (LbClient cl : onKilled) {
            for (String refusal : cl.reconsumeRefusals) {
                assertTrue(refusal.startsWith("404") && refusal.contains(killedNode) && refusal.contains("ha-a"),
                        "client " + cl.id + ": re-consuming ha-a is refused 404 naming its home " + killedNode + ": "
                                + refusal);
            }
            System.out.println("[haproxy-failover] client " + cl.id + " re-consume of ha-a: "
                    + (cl.reconsumeRefusals.isEmpty() ? "basic.cancel" : cl.reconsumeRefusals));
            assertEquals(Set.of(), cl.cancelled.stream().filter(q -> !q.equals("ha-a")).collect(Collectors.toSet()),
                    "client " + cl.id + ": only ha-a's consumer is cancelled");
        }
        for (LbClient cl : onOthers) {
            assertEquals(Set.of("ha-a"), Set.copyOf(cl.cancelled), "client " + cl.id + ": only ha-a's consumer");
            assertTrue(cl.reconsumeRefusals.isEmpty(), "client " + cl.id + ": " + cl.reconsumeRefusals);
        }
        ClusterCtl.await("a mandatory publish to ha-a after the kill is returned", WAIT_MS,
                () -> !returnedAfterKill.isEmpty());
        assertTrue(returnedAfterKill.stream().allMatch(r -> r.startsWith("ha-a ") && r.endsWith(" 312 NO_ROUTE")),
                "only ha-a's publishes come back, NO_ROUTE: " + returnedAfterKill.stream().limit(5).toList());

        clients.forEach(LbClient::stop);
        checkNoUnexpected();
        for (String q : List.of("ha-b", "ha-c")) {
            try {
                ClusterCtl.await("every message confirmed to " + q + " consumed", WAIT_MS,
                        () -> consumed.containsAll(confirmed.get(q)));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; " + missingReport(q, survivors), e);
            }
            System.out.println("[haproxy-failover] " + q + ": " + confirmed.get(q).size()
                    + " confirmed, all consumed");
        }
        for (NodeProcess n : survivors) {
            ClusterCtl.await("ha-b and ha-c empty seen from " + n.nodeName(), WAIT_MS,
                    () -> ready(n, "ha-b") == 0 && ready(n, "ha-c") == 0);
        }
        for (LbClient cl : clients) {
            System.out.println("[haproxy-failover] client " + cl.id + ": " + cl.confirmedCount + " confirmed ("
                    + cl.confirmedAfterKill + " to ha-b/ha-c after the kill), " + cl.unknownBatches
                    + " batches nacked or cut by the failover, " + cl.deliveredCount + " deliveries acked, "
                    + cl.heldViaKilled + " deliveries via a held unacked at the kill (must come again)");
        }
        System.out.println("[haproxy-failover] done " + ms(System.nanoTime() - killNanos) + " ms after the kill");
    }

    /** Which confirmed messages of {@code queue} were not consumed, how they were delivered, the queue's counts. */
    private String missingReport(String queue, List<NodeProcess> survivors) {
        Set<String> missing = new TreeSet<>(confirmed.get(queue));
        missing.removeAll(consumed);
        StringBuilder sb = new StringBuilder(missing.size() + " confirmed and never consumed, e.g.:");
        missing.stream().limit(10).forEach(m -> sb.append("\n  ").append(m).append(" deliveries ")
                .append(deliveries.getOrDefault(m, List.of())));
        for (NodeProcess n : survivors) {
            try {
                sb.append("\nlist_queues on ").append(n.nodeName()).append(": ").append(ClusterCtl.json(n,
                        "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers", "state"));
            } catch (IOException | AssertionError e) {
                sb.append("\nlist_queues on ").append(n.nodeName()).append(" failed: ").append(e);
            }
        }
        return sb.toString();
    }

    private boolean statesAre(String... states) {
        try {
            return List.of(states).equals(new ArrayList<>(haproxy.serverStates().values()));
        } catch (IOException e) {
            return false;
        }
    }

    private static long ready(NodeProcess n, String queue) {
        try (Connection c = n.connect()) {
            return c.createChannel().queueDeclarePassive(queue).getMessageCount();
        } catch (Exception e) {
            return -1;
        }
    }

    private void checkNoUnexpected() {
        assertTrue(unexpected.isEmpty(), "unexpected client errors: " + unexpected);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Queue name of a message body {@code queue|client|seq}. */
    private static String queueOf(String body) {
        return body.substring(0, body.indexOf('|'));
    }

    /** The reply code and text of the channel close behind {@code e}, or null. */
    private static String closeReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Channel.Close close) {
                return close.getReplyCode() + " " + close.getReplyText();
            }
        }
        return null;
    }

    /**
     * One application connection through haproxy with automatic recovery: a publisher thread (confirms,
     * mandatory, a batch of 9 to the three queues then waitForConfirms) and one consumer channel per queue.
     */
    private final class LbClient implements AutoCloseable {
        final int id;
        final Connection conn;
        /** Bumped when a recovery starts: a confirm wait that spans one may have seen the new channel. */
        final AtomicInteger epoch = new AtomicInteger();
        final AtomicInteger recoveries = new AtomicInteger();
        final AtomicLong confirmedCount = new AtomicLong();
        final AtomicLong deliveredCount = new AtomicLong();
        final AtomicLong confirmedAfterKill = new AtomicLong();
        final AtomicLong deliveredAfterKill = new AtomicLong();
        /** Deliveries of ha-b and ha-c via the node about to be killed: not acked, they must come again. */
        final AtomicLong heldViaKilled = new AtomicLong();
        /** Confirm batches nacked or spanning a recovery: not counted confirmed. */
        final AtomicLong unknownBatches = new AtomicLong();
        volatile long firstConfirmAfterKill;
        volatile long firstDeliveryAfterKill;
        final Set<String> cancelled = ConcurrentHashMap.newKeySet();
        final List<String> reconsumeRefusals = new CopyOnWriteArrayList<>();
        private volatile boolean running;
        private Thread publisher;

        LbClient(int id) throws Exception {
            this.id = id;
            ConnectionFactory f = new ConnectionFactory();
            f.setHost("127.0.0.1");
            f.setPort(haproxy.port());
            f.setAutomaticRecoveryEnabled(true);
            f.setTopologyRecoveryEnabled(true);
            f.setNetworkRecoveryInterval(200);
            f.setRequestedHeartbeat(10);
            f.setConnectionTimeout(5_000);
            f.setExceptionHandler(new ForgivingExceptionHandler() {
                @Override
                public void handleTopologyRecoveryException(Connection c, Channel ch, TopologyRecoveryException e) {
                    String reason = closeReason(e);
                    if (reason != null && e.getRecordedEntity() != null) {
                        reconsumeRefusals.add(reason);
                    } else {
                        unexpected.add(new AssertionError("client " + id + ": topology recovery failed", e));
                    }
                }

                @Override
                protected void log(String message, Throwable e) {
                    // connection refused/reset while a is going down: expected, the client retries
                }
            });
            conn = f.newConnection("haproxy-client-" + id);
            ((Recoverable) conn).addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecoveryStarted(Recoverable r) {
                    epoch.incrementAndGet();
                }

                @Override
                public void handleRecovery(Recoverable r) {
                    recoveries.incrementAndGet();
                }
            });
            for (String q : QUEUES) {
                Channel ch = conn.createChannel();
                ch.basicQos(50);
                ch.basicConsume(q, false, new DefaultConsumer(ch) {
                    @Override
                    public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                            throws IOException {
                        delivered(text(body), () -> getChannel().basicAck(env.getDeliveryTag(), false));
                    }

                    @Override
                    public void handleCancel(String consumerTag) {
                        cancelled.add(q);
                    }
                });
            }
        }

        interface Ack {
            void run() throws IOException;
        }

        /** Acks and counts the message consumed, unless it came via the node about to be killed: then holds it. */
        private void delivered(String body, Ack ack) {
            String via = node();
            String delivery = "c" + id + "@" + via + (killStarted ? "/after-kill" : "");
            List<String> history = deliveries.computeIfAbsent(body, k -> new CopyOnWriteArrayList<>());
            synchronized (ackGate) {
                if (via.equals(killedNode)) {
                    history.add(delivery + "/held");
                    if (!queueOf(body).equals("ha-a")) {
                        heldViaKilled.incrementAndGet();
                    }
                    return;
                }
                try {
                    ack.run();
                } catch (Exception e) {
                    history.add(delivery + "/ack-failed");
                    return; // the channel went down under the ack: the message comes again
                }
            }
            history.add(delivery);
            consumed.add(body);
            deliveredCount.incrementAndGet();
            if (killStarted) {
                if (deliveredAfterKill.getAndIncrement() == 0) {
                    firstDeliveryAfterKill = System.nanoTime();
                }
            }
        }

        /** The node this connection is on now (server property cluster_name). */
        String node() {
            Object name = conn.getServerProperties().get("cluster_name");
            return name == null ? "" : name.toString();
        }

        void startPublishing() {
            running = true;
            publisher = new Thread(this::publishLoop, "haproxy-client-" + id + "-publisher");
            publisher.setDaemon(true);
            publisher.start();
        }

        private void publishLoop() {
            Channel ch = null;
            long seq = 0;
            while (running) {
                try {
                    if (ch == null) {
                        ch = conn.createChannel();
                        ch.confirmSelect();
                        ch.addReturnListener(r -> {
                            String b = text(r.getBody());
                            returned.add(b);
                            if (killStarted) {
                                returnedAfterKill.add(r.getRoutingKey() + " " + r.getReplyCode() + " " + r.getReplyText());
                            }
                        });
                    }
                    int startEpoch = epoch.get();
                    boolean wasKilled = killStarted;
                    List<String> batch = new ArrayList<>();
                    for (int i = 0; i < 9; i++) {
                        String q = QUEUES.get(i % 3);
                        String body = q + "|c" + id + "|" + seq++;
                        ch.basicPublish("", q, true, MessageProperties.PERSISTENT_TEXT_PLAIN,
                                body.getBytes(StandardCharsets.UTF_8));
                        batch.add(body);
                    }
                    boolean acked = ch.waitForConfirms(15_000);
                    if (!acked || epoch.get() != startEpoch || !conn.isOpen()) {
                        unknownBatches.incrementAndGet();
                        continue; // nacked, or a recovery began meanwhile: not known to be confirmed
                    }
                    for (String body : batch) {
                        if (!returned.contains(body)) {
                            confirmed.get(queueOf(body)).add(body);
                            confirmedCount.incrementAndGet();
                            if (wasKilled && !queueOf(body).equals("ha-a")
                                    && confirmedAfterKill.getAndIncrement() == 0) {
                                firstConfirmAfterKill = System.nanoTime();
                            }
                        }
                    }
                    Thread.sleep(5); // pacing, not a wait for anything
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // connection (or channel) down: wait, bounded by the test's awaits, for the recovery
                    if (!killStarted) {
                        unexpected.add(new AssertionError("client " + id + " publish failed before the kill", e));
                    }
                    if (ch != null && !ch.isOpen() && conn.isOpen()) {
                        ch = null; // closed by the broker, not by the connection: open another
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        void stop() {
            running = false;
            if (publisher != null) {
                try {
                    publisher.join(20_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void close() {
            conn.abort(5_000);
        }
    }
}
