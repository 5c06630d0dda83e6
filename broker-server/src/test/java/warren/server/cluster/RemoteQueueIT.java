package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import warren.server.process.NodeProcess;

/**
 * Every AMQP operation on a queue whose home is another node of a 3-node cluster (three node
 * JVMs, RabbitMQ's Java client): queues live on a, clients talk to b and c.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteQueueIT {
    private static final long WAIT_MS = 30_000;
    private static final String COOKIE = "REMOTEQUEUEITCOOKIE";

    private Path root;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private NodeProcess a;
    private NodeProcess b;
    private NodeProcess c;

    @BeforeAll
    void cluster() throws Exception {
        root = Files.createTempDirectory("remote-queue-it-");
        List<NodeProcess> abc = ClusterCtl.cluster(root, nodes, COOKIE, "a", "b", "c");
        a = abc.get(0);
        b = abc.get(1);
        c = abc.get(2);
    }

    @AfterAll
    void stop() {
        nodes.forEach(NodeProcess::close);
    }

    /** Declares a queue on a (its home) and waits until b and c know it and reach it. */
    private void declareOnA(String queue, boolean durable, boolean autoDelete, Map<String, Object> args)
            throws Exception {
        try (Connection conn = a.connect()) {
            conn.createChannel().queueDeclare(queue, durable, false, autoDelete, args);
        }
        for (NodeProcess n : List.of(b, c)) {
            ClusterCtl.await(queue + " reachable on " + n.nodeName(), WAIT_MS, () -> {
                try (Connection conn = n.connect()) {
                    conn.createChannel().queueDeclarePassive(queue);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    private static byte[] body(int i) {
        return ("message-" + i + "-" + "x".repeat(i % 50)).getBytes(StandardCharsets.UTF_8);
    }

    private static int readyOn(NodeProcess n, String queue) throws Exception {
        try (Connection conn = n.connect()) {
            return conn.createChannel().queueDeclarePassive(queue).getMessageCount();
        }
    }

    @Test
    void confirmedPublishesOnBReachAConsumerOnCInOrder() throws Exception {
        declareOnA("rq-order", true, false, null);
        int n = 2000;
        try (Connection pub = b.connect(); Connection sub = c.connect()) {
            Channel p = pub.createChannel();
            p.confirmSelect();
            for (int i = 0; i < n; i++) {
                p.basicPublish("", "rq-order", MessageProperties.PERSISTENT_BASIC, body(i));
            }
            assertTrue(p.waitForConfirms(WAIT_MS), "every publish to a queue on another node is confirmed (acked)");
            assertEquals(n, readyOn(c, "rq-order"), "passive declare on c counts the messages on a");
            assertEquals(n, readyOn(a, "rq-order"), "the messages live on a");

            Channel s = sub.createChannel();
            s.basicQos(50);
            BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
            s.basicConsume("rq-order", false, (tag, d) -> {
                got.add(d.getBody());
                s.basicAck(d.getEnvelope().getDeliveryTag(), false);
            }, tag -> { });
            for (int i = 0; i < n; i++) {
                byte[] m = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
                assertNotNull(m, "delivery " + i + " arrived");
                assertArrayEquals(body(i), m, "delivery " + i + " in publish order");
            }
            ClusterCtl.await("all acked on a", WAIT_MS, () -> {
                try {
                    return readyOn(a, "rq-order") == 0 && unackedOn(a, "rq-order") == 0;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    private static int unackedOn(NodeProcess n, String queue) throws IOException {
        for (JsonNode row : ClusterCtl.json(n, "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers",
                "state", "node")) {
            if (row.path("name").asText().equals(queue)) {
                return row.path("messages_unacknowledged").asInt();
            }
        }
        throw new AssertionError("no queue " + queue + " listed on " + n.nodeName());
    }

    @Test
    void prefetchHoldsAcrossNodesAndAcksReleaseCredit() throws Exception {
        declareOnA("rq-prefetch", false, false, null);
        try (Connection pub = b.connect(); Connection sub = c.connect()) {
            Channel p = pub.createChannel();
            p.confirmSelect();
            for (int i = 0; i < 20; i++) {
                p.basicPublish("", "rq-prefetch", null, body(i));
            }
            p.waitForConfirmsOrDie(WAIT_MS);
            Channel s = sub.createChannel();
            s.basicQos(5);
            BlockingQueue<Long> tags = new LinkedBlockingQueue<>();
            s.basicConsume("rq-prefetch", false, (tag, d) -> tags.add(d.getEnvelope().getDeliveryTag()), tag -> { });
            awaitShowingA("5 delivered and 15 ready on a", () -> {
                try {
                    return tags.size() == 5 && readyOn(a, "rq-prefetch") == 15 && unackedOn(a, "rq-prefetch") == 5;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(5, tags.size(), "no more than the prefetch is delivered while nothing is acked");
            s.basicAck(tags.peek(), false);
            ClusterCtl.await("one more after one ack", WAIT_MS, () -> tags.size() == 6);
            ClusterCtl.await("14 ready on a", WAIT_MS, () -> {
                try {
                    return readyOn(a, "rq-prefetch") == 14 && unackedOn(a, "rq-prefetch") == 5;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(6, tags.size(), "one ack lets exactly one more through");
        }
    }

    @Test
    void nackRequeueRejectAndRecoverRedeliverFromTheHomeNode() throws Exception {
        Map<String, Object> dlx = Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "rq-dead");
        declareOnA("rq-dead", false, false, null);
        declareOnA("rq-nack", false, false, dlx);
        try (Connection pub = b.connect(); Connection sub = c.connect()) {
            Channel p = pub.createChannel();
            p.confirmSelect();
            p.basicPublish("", "rq-nack", null, body(1));
            p.basicPublish("", "rq-nack", null, body(2));
            p.waitForConfirmsOrDie(WAIT_MS);
            Channel s = sub.createChannel();
            s.basicQos(1);
            BlockingQueue<com.rabbitmq.client.Delivery> got = new LinkedBlockingQueue<>();
            s.basicConsume("rq-nack", false, (tag, d) -> got.add(d), tag -> { });
            var first = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(first);
            assertArrayEquals(body(1), first.getBody());
            assertFalse(first.getEnvelope().isRedeliver());
            s.basicNack(first.getEnvelope().getDeliveryTag(), false, true);
            var again = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(again, "a nack with requeue comes back");
            assertArrayEquals(body(1), again.getBody());
            assertTrue(again.getEnvelope().isRedeliver(), "flagged redelivered");

            s.basicRecover(true);
            var recovered = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(recovered, "basic.recover redelivers the unacked message");
            assertArrayEquals(body(1), recovered.getBody());
            assertTrue(recovered.getEnvelope().isRedeliver());

            s.basicReject(recovered.getEnvelope().getDeliveryTag(), false);
            var second = got.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(second);
            assertArrayEquals(body(2), second.getBody());
            s.basicAck(second.getEnvelope().getDeliveryTag(), false);
            ClusterCtl.await("the rejected message dead-lettered on a", WAIT_MS, () -> {
                try {
                    return readyOn(b, "rq-dead") == 1 && readyOn(a, "rq-nack") == 0;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    @Test
    void basicGetPurgeAndDeleteReportTheHomeNodesCounts() throws Exception {
        declareOnA("rq-get", true, false, null);
        try (Connection conn = b.connect()) {
            Channel ch = conn.createChannel();
            ch.confirmSelect();
            for (int i = 0; i < 10; i++) {
                ch.basicPublish("", "rq-get", MessageProperties.PERSISTENT_TEXT_PLAIN, body(i));
            }
            ch.waitForConfirmsOrDie(WAIT_MS);
            GetResponse r = ch.basicGet("rq-get", false);
            assertNotNull(r);
            assertArrayEquals(body(0), r.getBody());
            assertEquals(9, r.getMessageCount(), "basic.get-ok counts what is left on the home node");
            ch.basicReject(r.getEnvelope().getDeliveryTag(), true);
            GetResponse again = ch.basicGet("rq-get", true);
            assertArrayEquals(body(0), again.getBody());
            assertTrue(again.getEnvelope().isRedeliver(), "a rejected-with-requeue message comes back redelivered");
            GetResponse next = ch.basicGet("rq-get", false);
            assertArrayEquals(body(1), next.getBody());
            ch.basicAck(next.getEnvelope().getDeliveryTag(), false);
            assertEquals(8, ch.queueDeclarePassive("rq-get").getMessageCount());
        }
        try (Connection conn = c.connect()) {
            Channel ch = conn.createChannel();
            assertEquals(8, ch.queuePurge("rq-get").getMessageCount(), "purge from c reports a's count");
            assertNull(ch.basicGet("rq-get", true), "empty after purge");
            ch.basicPublish("", "rq-get", null, body(42));
            ch.basicPublish("", "rq-get", null, body(43));
            ClusterCtl.await("two ready", WAIT_MS, () -> {
                try {
                    return readyOn(c, "rq-get") == 2;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(2, ch.queueDelete("rq-get").getMessageCount(), "delete from c reports a's count");
        }
        ClusterCtl.await("gone everywhere", WAIT_MS, () -> !ClusterCtl.queueExists(a, "rq-get")
                && !ClusterCtl.queueExists(b, "rq-get") && !ClusterCtl.queueExists(c, "rq-get"));
    }

    @Test
    void deletingAQueueCancelsConsumersOnOtherNodes() throws Exception {
        declareOnA("rq-cancel", false, false, null);
        try (Connection sub = c.connect(); Connection admin = b.connect()) {
            Channel s = sub.createChannel();
            AtomicReference<String> cancelled = new AtomicReference<>();
            s.basicConsume("rq-cancel", true, new DefaultConsumer(s) {
                @Override
                public void handleCancel(String consumerTag) {
                    cancelled.set(consumerTag);
                }
            });
            awaitShowingA("consumer registered on a", () -> {
                try {
                    return consumersOn(a, "rq-cancel") == 1;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            admin.createChannel().queueDelete("rq-cancel");
            ClusterCtl.await("consumer cancel notification on c", WAIT_MS, () -> cancelled.get() != null);
            assertTrue(s.isOpen(), "the channel stays open");
        }
    }

    /** Waits for {@code condition}; on time-out says what a listed. */
    private void awaitShowingA(String what, java.util.function.BooleanSupplier condition) throws Exception {
        try {
            ClusterCtl.await(what, WAIT_MS, condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; list_queues on a: " + ClusterCtl.json(a, "list_queues", "name", "messages_ready", "messages_unacknowledged",
                    "consumers"), e);
        }
    }

    private static int consumersOn(NodeProcess n, String queue) {
        JsonNode rows;
        try {
            rows = ClusterCtl.json(n, "list_queues", "name", "consumers");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (JsonNode row : rows) {
            if (row.path("name").asText().equals(queue)) {
                return row.path("consumers").asInt();
            }
        }
        return -1;
    }

    @Test
    void exclusiveConsumerMandatoryAndRejectPublishAcrossNodes() throws Exception {
        declareOnA("rq-excl", false, false, null);
        declareOnA("rq-limit", false, false, Map.of("x-max-length", 1, "x-overflow", "reject-publish"));
        try (Connection onB = b.connect(); Connection onC = c.connect()) {
            Channel cc = onC.createChannel();
            cc.basicConsume("rq-excl", true, "only-me", false, true, null, (tag, d) -> { }, tag -> { });
            Channel bc = onB.createChannel();
            IOException refused = assertThrows(IOException.class,
                    () -> bc.basicConsume("rq-excl", true, (tag, d) -> { }, tag -> { }));
            assertEquals(403, ((AMQP.Channel.Close) ((ShutdownSignalException) refused.getCause()).getReason())
                    .getReplyCode(), "an exclusive consumer on c keeps a consumer on b out (ACCESS_REFUSED)");

            Channel p = onB.createChannel();
            List<String> returned = new CopyOnWriteArrayList<>();
            p.addReturnListener(r -> returned.add(r.getRoutingKey()));
            p.confirmSelect();
            p.basicPublish("", "rq-limit", true, null, body(1));
            p.basicPublish("", "no-such-queue", true, null, body(2));
            p.waitForConfirmsOrDie(WAIT_MS);
            assertEquals(List.of("no-such-queue"), returned, "routed to a remote queue is not returned; unroutable is");
            p.basicPublish("", "rq-limit", null, body(3));
            assertFalse(p.waitForConfirms(WAIT_MS), "a remote queue at its limit with reject-publish nacks");
        }
    }

    @Test
    void anExclusiveQueueIsItsConnectionsWhereverTheClientIsAndRepliesReachItThroughAnyNode() throws Exception {
        String replyQueue;
        try (Connection owner = a.connect(); Connection server = b.connect(); Connection other = c.connect()) {
            Channel oc = owner.createChannel();
            replyQueue = oc.queueDeclare().getQueue(); // server-named, exclusive, as an RPC client's reply queue
            BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
            oc.basicConsume(replyQueue, true, (tag, d) -> replies.add(d.getBody()), tag -> { });

            // An RPC server on another node answers through the default exchange: it reaches the queue on a.
            Channel sc = server.createChannel();
            sc.confirmSelect();
            sc.basicPublish("", replyQueue, true, null, body(7));
            sc.waitForConfirmsOrDie(WAIT_MS);
            assertArrayEquals(body(7), replies.poll(WAIT_MS, TimeUnit.MILLISECONDS), "reply routed from b to a");

            for (var attempt : List.<ThrowingUse>of(
                    ch -> ch.queueDeclarePassive(replyQueue),
                    ch -> ch.basicConsume(replyQueue, true, (t, d) -> { }, t -> { }),
                    ch -> ch.basicGet(replyQueue, true),
                    ch -> ch.queuePurge(replyQueue))) {
                IOException locked = assertThrows(IOException.class, () -> attempt.use(other.createChannel()));
                assertEquals(405, ((AMQP.Channel.Close) ((ShutdownSignalException) locked.getCause()).getReason())
                        .getReplyCode(), "another node's connection is refused: RESOURCE_LOCKED");
            }
        }
        // The owner's connection closed: the queue is gone on every node.
        ClusterCtl.await("exclusive queue gone everywhere", WAIT_MS, () -> consumersOn(b, replyQueue) == -1
                && consumersOn(c, replyQueue) == -1 && consumersOn(a, replyQueue) == -1);
    }

    private interface ThrowingUse {
        void use(Channel ch) throws IOException;
    }

    @Test
    void autoDeleteAndExpiresCountRemoteConsumers() throws Exception {
        declareOnA("rq-auto", false, true, null);
        declareOnA("rq-expires", false, false, Map.of("x-expires", 1500));
        try (Connection sub = b.connect()) {
            Channel s = sub.createChannel();
            String autoTag = s.basicConsume("rq-auto", true, (tag, d) -> { }, tag -> { });
            String expiresTag = s.basicConsume("rq-expires", true, (tag, d) -> { }, tag -> { });
            awaitShowingA("consumers registered on a", () -> {
                try {
                    return consumersOn(a, "rq-auto") == 1 && consumersOn(a, "rq-expires") == 1;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            // A consumer on b keeps the x-expires queue in use: it outlives several expiry periods.
            long until = System.currentTimeMillis() + 4000;
            while (System.currentTimeMillis() < until) {
                assertTrue(ClusterCtl.queueExists(a, "rq-expires"), "in use by a consumer on b: not expired");
                Thread.sleep(500);
            }
            s.basicCancel(autoTag);
            ClusterCtl.await("auto-delete queue gone after its remote consumer left", WAIT_MS,
                    () -> !ClusterCtl.queueExists(a, "rq-auto") && !ClusterCtl.queueExists(b, "rq-auto"));
            s.basicCancel(expiresTag);
            // Watched with list_queues: a passive declare would count as use and renew the lease.
            ClusterCtl.await("x-expires queue gone once unused", WAIT_MS,
                    () -> consumersOn(a, "rq-expires") == -1 && consumersOn(c, "rq-expires") == -1);
        }
    }

    @Test
    @Order(1) // first: the balance is counted over every queue of the cluster
    void balancedLocatorSpreadsQueuesOverTheNodes() throws Exception {
        Map<String, Integer> perNode = new HashMap<>();
        try (Connection conn = b.connect()) {
            Channel ch = conn.createChannel();
            for (int i = 0; i < 9; i++) {
                ch.queueDeclare("rq-balanced-" + i, true, false, false, Map.of("x-queue-leader-locator", "balanced"));
            }
            ch.queueDeclare("rq-local", true, false, false, null);
            IOException bad = assertThrows(IOException.class, () -> conn.createChannel().queueDeclare("rq-bad", true,
                    false, false, Map.of("x-queue-leader-locator", "anywhere")));
            assertEquals(406, ((AMQP.Channel.Close) ((ShutdownSignalException) bad.getCause()).getReason())
                    .getReplyCode());
        }
        String localHome = null;
        for (JsonNode row : ClusterCtl.json(c, "list_queues", "name", "node")) {
            String name = row.path("name").asText();
            if (name.startsWith("rq-balanced-")) {
                perNode.merge(row.path("node").asText(), 1, Integer::sum);
            } else if (name.equals("rq-local")) {
                localHome = row.path("node").asText();
            }
        }
        assertEquals(b.nodeName(), localHome, "client-local (the default) places a queue on the client's node");
        assertEquals(Map.of(a.nodeName(), 3, b.nodeName(), 3, c.nodeName(), 3), perNode,
                "each balanced queue goes to the node with the fewest queues");
        try (Connection pub = c.connect(); Connection sub = a.connect()) {
            Channel p = pub.createChannel();
            p.confirmSelect();
            for (int i = 0; i < 9; i++) {
                p.basicPublish("", "rq-balanced-" + i, null, body(i));
            }
            p.waitForConfirmsOrDie(WAIT_MS);
            Channel s = sub.createChannel();
            for (int i = 0; i < 9; i++) {
                GetResponse r = s.basicGet("rq-balanced-" + i, true);
                assertNotNull(r, "queue rq-balanced-" + i + " reachable from a wherever it lives");
                assertArrayEquals(body(i), r.getBody());
            }
        }
    }


    /**
     * Issue #10 item 7 across nodes: the last consumer (on a) of an auto-delete queue leaves by closing its
     * connection while a client on b redeclares the queue at once and consumes, or deletes it: the declare
     * leaves a queue that exists, the delete is delete-ok. Each round alternates the queue's home.
     */
    @Test
    void autoDeleteQueueRedeclaredOrDeletedOnAnotherNodeRightAfterItsLastConsumerLeft() throws Exception {
        int rounds = Integer.getInteger("warren.race.cluster.iterations", 10);
        try (Connection onB = b.connect()) {
            Channel ch = onB.createChannel();
            for (int i = 0; i < rounds; i++) {
                String name = "rq-race-" + (i % 2);
                try (Connection onA = a.connect()) {
                    Channel consumer = onA.createChannel();
                    consumer.queueDeclare(name, false, false, true, null);
                    consumer.basicConsume(name, true, (tag, d) -> { }, tag -> { });
                } // closed: the queue auto-deletes
                if (i % 2 == 0) {
                    ch.queueDeclare(name, false, false, true, null);
                    String tag = ch.basicConsume(name, true, (t, d) -> { }, t -> { });
                    ch.basicCancel(tag); // b was the last consumer: gone again
                } else {
                    ch.queueDelete(name);
                    ch.queueDelete(name);
                }
            }
        }
    }
}
