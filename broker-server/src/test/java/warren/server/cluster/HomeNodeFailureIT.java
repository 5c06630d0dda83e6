package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import warren.server.process.NodeProcess;

/**
 * The home node of a durable queue dies (SIGKILL) under a consumer on another node and comes back:
 * the consumer is told (basic.cancel), the queue is listed as down, publishing to it routes nowhere,
 * consuming it gets 404 naming its home node, a transient queue of the dead node is gone; once the
 * node is back, consumers on other nodes get every confirmed message that was not acked.
 */
class HomeNodeFailureIT extends ClusterNodes {
    private static final long WAIT_MS = 60_000;
    private static final String COOKIE = "HOMENODEFAILUREITCOOKIE";

    private static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Test
    void confirmedMessagesSurviveTheHomeNodesKill9AndReachConsumersElsewhere() throws Exception {
        List<NodeProcess> abc = ClusterCtl.cluster(root, nodes, COOKIE, "a", "b", "c");
        NodeProcess a = abc.get(0);
        NodeProcess b = abc.get(1);
        NodeProcess c = abc.get(2);
        Set<String> all = new TreeSet<>(List.of(a.nodeName(), b.nodeName(), c.nodeName()));
        try (Connection onA = a.connect()) {
            Channel ch = onA.createChannel();
            ch.queueDeclare("durable-on-a", true, false, false, null);
            ch.queueDeclare("transient-on-a", false, false, false, null);
        }
        ClusterCtl.await("queues known on b and c", WAIT_MS, () -> ClusterCtl.queueExists(b, "durable-on-a")
                && ClusterCtl.queueExists(c, "transient-on-a"));

        int total = 3000;
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> received = ConcurrentHashMap.newKeySet();
        AtomicReference<String> cancelled = new AtomicReference<>();
        try (Connection pub = b.connect(); Connection sub = c.connect()) {
            Channel p = pub.createChannel();
            p.confirmSelect();
            for (int i = 0; i < total; i++) {
                String m = "m-" + i;
                p.basicPublish("", "durable-on-a", MessageProperties.PERSISTENT_TEXT_PLAIN,
                        m.getBytes(StandardCharsets.UTF_8));
            }
            p.waitForConfirmsOrDie(WAIT_MS);
            for (int i = 0; i < total; i++) {
                confirmed.add("m-" + i);
            }

            // A slow consumer on c: it acks some, holds some unacked when a dies.
            Channel s = sub.createChannel();
            s.basicQos(20);
            s.basicConsume("durable-on-a", false, new DefaultConsumer(s) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    String m = text(body);
                    received.add(m);
                    if (received.size() <= 500) {
                        s.basicAck(env.getDeliveryTag(), false);
                        acked.add(m);
                    }
                }

                @Override
                public void handleCancel(String consumerTag) {
                    cancelled.set(consumerTag);
                }
            });
            ClusterCtl.await("500 acked and 20 more held", WAIT_MS, () -> acked.size() == 500 && received.size() == 520);

            a.kill9();
            ClusterCtl.await("the consumer on c is told its queue's node went down (basic.cancel)", WAIT_MS,
                    () -> cancelled.get() != null);
            ClusterCtl.await("a out of the running nodes", WAIT_MS, () -> ClusterCtl.statusMatches(b, all,
                    new TreeSet<>(List.of(b.nodeName(), c.nodeName()))));
        }

        // While a is down.
        ClusterCtl.await("transient queue of a deleted on b and c", WAIT_MS,
                () -> !ClusterCtl.queueExists(b, "transient-on-a") && !ClusterCtl.queueExists(c, "transient-on-a"));
        assertEquals("down", queueRow(b, "durable-on-a").path("state").asText(), "listed as down");
        try (Connection conn = b.connect()) {
            Channel ch = conn.createChannel();
            List<String> returned = new CopyOnWriteArrayList<>();
            ch.addReturnListener(r -> returned.add(r.getReplyText()));
            ch.confirmSelect();
            ch.basicPublish("", "durable-on-a", true, MessageProperties.PERSISTENT_TEXT_PLAIN,
                    "while-down".getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(WAIT_MS);
            assertEquals(List.of("NO_ROUTE"), returned, "a queue whose node is down routes nowhere: mandatory returns");
            IOException e = assertThrows(IOException.class,
                    () -> ch.basicConsume("durable-on-a", true, (t, d) -> { }, t -> { }));
            AMQP.Channel.Close close = (AMQP.Channel.Close) ((ShutdownSignalException) e.getCause()).getReason();
            assertEquals(404, close.getReplyCode());
            assertTrue(close.getReplyText().contains(a.nodeName()) && close.getReplyText().contains("down"),
                    close.getReplyText());
        }

        // a comes back (it saw b and c running when it died, and they are: it starts at once).
        a.start(Duration.ofSeconds(90));
        ClusterCtl.await("durable-on-a reachable from c again", WAIT_MS, () -> {
            try {
                return "running".equals(queueRow(c, "durable-on-a").path("state").asText());
            } catch (IOException e) {
                return false;
            }
        });
        Set<String> after = ConcurrentHashMap.newKeySet();
        List<Boolean> redeliveredFlags = new CopyOnWriteArrayList<>();
        try (Connection sub = c.connect()) {
            Channel s = sub.createChannel();
            s.basicQos(100);
            s.basicConsume("durable-on-a", false, new DefaultConsumer(s) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    String m = text(body);
                    after.add(m);
                    if (received.contains(m) && !acked.contains(m)) {
                        redeliveredFlags.add(env.isRedeliver());
                    }
                    s.basicAck(env.getDeliveryTag(), false);
                }
            });
            ClusterCtl.await("every confirmed, unacked message delivered after the restart", WAIT_MS,
                    () -> after.size() >= total - acked.size());
        }
        Set<String> missing = new TreeSet<>(confirmed);
        missing.removeAll(acked);
        missing.removeAll(after);
        assertTrue(missing.isEmpty(), "confirmed messages lost: " + missing.size() + " e.g. "
                + missing.stream().limit(5).toList());
        Set<String> extra = new TreeSet<>(after);
        extra.removeAll(confirmed);
        assertTrue(extra.isEmpty(), "only confirmed messages come back (the one published while down was not routed): "
                + extra);
        assertEquals(20, redeliveredFlags.size(), "the 20 held unacked came back");
        assertTrue(redeliveredFlags.stream().allMatch(f -> f), "delivered before the kill: flagged redelivered");
    }

    private static JsonNode queueRow(NodeProcess n, String queue) throws IOException {
        for (JsonNode row : ClusterCtl.json(n, "list_queues", "name", "messages_ready", "messages_unacknowledged", "consumers",
                "state", "node")) {
            if (row.path("name").asText().equals(queue)) {
                return row;
            }
        }
        throw new AssertionError("no queue " + queue + " listed on " + n.nodeName());
    }
}
