package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import warren.server.process.NodeProcess;

/**
 * Durable definitions survive a restart of a node process (clean SIGTERM stop, and SIGKILL), transient
 * ones do not: vhost, user + permissions (warrenctl), durable exchanges of every type with arguments,
 * an exchange-to-exchange binding, durable queues with arguments, header bindings with arguments.
 */
class DefinitionsRestartIT {

    static final String VHOST = "persist-vh";
    static final String USER = "alice";
    static final String PASS = "s3cret";

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void killNode() {
        if (node != null) {
            node.close();
        }
    }

    private void ctl(String... args) {
        NodeProcess.CtlResult r = node.warrenctl(args);
        assertEquals(0, r.code(), "warrenctl " + String.join(" ", args) + ": " + r.out() + r.err());
    }

    private Connection connectAsUser() throws Exception {
        ConnectionFactory f = node.factory();
        f.setVirtualHost(VHOST);
        f.setUsername(USER);
        f.setPassword(PASS);
        return f.newConnection();
    }

    static Map<String, Object> queueArgs() {
        Map<String, Object> a = new HashMap<>();
        a.put("x-message-ttl", 600_000);
        a.put("x-max-length", 1000);
        a.put("x-dead-letter-exchange", "p.ae");
        a.put("x-max-priority", 5);
        return a;
    }

    static Map<String, Object> headerBinding() {
        return Map.of("x-match", "all", "kind", "h1");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sigterm", "sigkill"})
    void durableDefinitionsSurviveTransientOnesDoNot(String how) throws Exception {
        node = new NodeProcess(dir.resolve("node")).start();
        ctl("add_vhost", VHOST);
        ctl("add_user", USER, PASS);
        ctl("set_permissions", "-p", VHOST, USER, ".*", ".*", ".*");

        Connection keep;
        try (Connection c = connectAsUser(); Channel ch = c.createChannel()) {
            ch.exchangeDeclare("p.ae", BuiltinExchangeType.FANOUT, true);
            ch.exchangeDeclare("p.direct", BuiltinExchangeType.DIRECT, true, false, Map.of("alternate-exchange", "p.ae"));
            ch.exchangeDeclare("p.topic", BuiltinExchangeType.TOPIC, true);
            ch.exchangeDeclare("p.fanout", BuiltinExchangeType.FANOUT, true);
            ch.exchangeDeclare("p.headers", BuiltinExchangeType.HEADERS, true);
            ch.exchangeBind("p.topic", "p.direct", "a.e2e");
            ch.queueDeclare("p.q.ae", true, false, false, null);
            ch.queueBind("p.q.ae", "p.ae", "");
            ch.queueDeclare("p.q.direct", true, false, false, null);
            ch.queueBind("p.q.direct", "p.direct", "rk");
            ch.queueDeclare("p.q.topic", true, false, false, null);
            ch.queueBind("p.q.topic", "p.topic", "a.#");
            ch.queueDeclare("p.q.fanout", true, false, false, null);
            ch.queueBind("p.q.fanout", "p.fanout", "");
            ch.queueDeclare("p.q.headers", true, false, false, null);
            ch.queueBind("p.q.headers", "p.headers", "", headerBinding());
            ch.queueDeclare("p.q.args", true, false, false, queueArgs());
            // transient counterparts
            ch.exchangeDeclare("t.direct", BuiltinExchangeType.DIRECT, false);
            ch.queueDeclare("t.q", false, false, false, null);
            ch.queueBind("t.q", "p.direct", "rk");
        }
        keep = connectAsUser();
        Channel kch = keep.createChannel();
        kch.queueDeclare("t.exclusive", false, true, false, null);
        kch.queueDeclare("t.autodelete", false, false, true, null);
        kch.basicConsume("t.autodelete", true, new DefaultConsumer(kch));

        if (how.equals("sigterm")) {
            int code = node.stop();
            assertTrue(NodeProcess.cleanExit(code), "clean stop exit code " + code + "; console:\n"
                    + NodeProcess.tail(node.consoleFile(), 30));
        } else {
            node.kill9();
        }
        try {
            keep.abort(1000);
        } catch (Exception ignored) {
            // node gone
        }
        node.start();

        // the user, its password and its permissions came back
        try (Connection c = connectAsUser()) {
            for (String x : new String[] {"p.ae", "p.direct", "p.topic", "p.fanout", "p.headers"}) {
                try (Channel ch = c.createChannel()) {
                    ch.exchangeDeclarePassive(x);
                }
            }
            for (String q : new String[] {"p.q.ae", "p.q.direct", "p.q.topic", "p.q.fanout", "p.q.headers", "p.q.args"}) {
                try (Channel ch = c.createChannel()) {
                    assertEquals(0, ch.queueDeclarePassive(q).getMessageCount(), q);
                }
            }
            // same properties: redeclaring with the same ones succeeds, with others fails 406
            try (Channel ch = c.createChannel()) {
                ch.exchangeDeclare("p.direct", BuiltinExchangeType.DIRECT, true, false, Map.of("alternate-exchange", "p.ae"));
                ch.exchangeDeclare("p.headers", BuiltinExchangeType.HEADERS, true);
                ch.queueDeclare("p.q.args", true, false, false, queueArgs());
                ch.queueDeclare("p.q.direct", true, false, false, null);
            }
            expectClose(c, 406, ch -> ch.exchangeDeclare("p.direct", BuiltinExchangeType.FANOUT, true));
            expectClose(c, 406, ch -> ch.exchangeDeclare("p.topic", BuiltinExchangeType.TOPIC, false));
            Map<String, Object> other = queueArgs();
            other.put("x-max-length", 999);
            expectClose(c, 406, ch -> ch.queueDeclare("p.q.args", true, false, false, other));
            Map<String, Object> otherPriority = queueArgs();
            otherPriority.put("x-max-priority", 6);
            expectClose(c, 406, ch -> ch.queueDeclare("p.q.args", true, false, false, otherPriority));
            expectClose(c, 406, ch -> ch.queueDeclare("p.q.direct", false, false, false, null));

            // routing through the recovered bindings
            try (Channel ch = c.createChannel()) {
                ch.confirmSelect();
                publish(ch, "p.direct", "rk", null);         // direct binding
                publish(ch, "p.direct", "nowhere", null);    // alternate-exchange -> p.ae -> p.q.ae
                publish(ch, "p.direct", "a.e2e", null);      // exchange-to-exchange -> p.topic -> p.q.topic
                publish(ch, "p.fanout", "x", null);
                publish(ch, "p.headers", "", Map.of("kind", "h1"));
                publish(ch, "p.headers", "", Map.of("kind", "h2")); // does not match
                ch.waitForConfirmsOrDie(10_000);
                assertRouted(ch, "p.q.direct", "p.direct/rk");
                assertRouted(ch, "p.q.ae", "p.direct/nowhere");
                assertRouted(ch, "p.q.topic", "p.direct/a.e2e");
                assertRouted(ch, "p.q.fanout", "p.fanout/x");
                assertRouted(ch, "p.q.headers", "p.headers/");
                for (String q : new String[] {"p.q.direct", "p.q.ae", "p.q.topic", "p.q.fanout", "p.q.headers"}) {
                    assertNull(ch.basicGet(q, true), q + " got one message only");
                }
            }
            // the queue arguments work (dead-letter exchange of p.q.args is p.ae: a rejected message lands in p.q.ae)
            try (Channel ch = c.createChannel()) {
                ch.confirmSelect();
                publish(ch, "", "p.q.args", null);
                ch.waitForConfirmsOrDie(10_000);
                GetResponse r = ch.basicGet("p.q.args", false);
                assertNotNull(r, "p.q.args");
                ch.basicReject(r.getEnvelope().getDeliveryTag(), false);
                // dead-lettering is asynchronous: bounded wait for it
                long deadline = System.nanoTime() + 10_000_000_000L;
                GetResponse dl = null;
                while (dl == null && System.nanoTime() < deadline) {
                    dl = ch.basicGet("p.q.ae", true);
                    if (dl == null) {
                        Thread.onSpinWait();
                    }
                }
                assertNotNull(dl, "dead-lettered from p.q.args to p.ae/p.q.ae");
                assertEquals("/p.q.args", new String(dl.getBody(), StandardCharsets.UTF_8));
            }
            // transient ones are gone
            for (String x : new String[] {"t.direct"}) {
                expectClose(c, 404, ch -> ch.exchangeDeclarePassive(x));
            }
            for (String q : new String[] {"t.q", "t.exclusive", "t.autodelete"}) {
                expectClose(c, 404, ch -> ch.queueDeclarePassive(q));
            }
        }
        // the wrong password is still refused
        ConnectionFactory bad = node.factory();
        bad.setVirtualHost(VHOST);
        bad.setUsername(USER);
        bad.setPassword("wrong");
        assertThrows(Exception.class, bad::newConnection, "wrong password refused");
        assertTrue(NodeProcess.cleanExit(node.stop()));
    }

    private static void publish(Channel ch, String x, String rk, Map<String, Object> headers) throws IOException {
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().deliveryMode(2).headers(headers).build();
        ch.basicPublish(x, rk, p, (x + "/" + rk).getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRouted(Channel ch, String queue, String body) throws IOException {
        assertRouted(ch, queue, body, queue);
    }

    private static void assertRouted(Channel ch, String queue, String body, String what) throws IOException {
        GetResponse r = ch.basicGet(queue, true);
        assertNotNull(r, what + ": nothing routed to " + queue);
        if (!body.isEmpty()) {
            assertEquals(body, new String(r.getBody(), StandardCharsets.UTF_8), what);
        }
    }

    interface ChannelAction {
        void run(Channel ch) throws IOException;
    }

    private static void expectClose(Connection c, int code, ChannelAction action) throws Exception {
        Channel ch = c.createChannel();
        IOException e = assertThrows(IOException.class, () -> action.run(ch), "expected channel error " + code);
        Throwable cause = e.getCause();
        assertTrue(cause instanceof ShutdownSignalException, String.valueOf(cause));
        Object reason = ((ShutdownSignalException) cause).getReason();
        assertTrue(reason instanceof AMQP.Channel.Close, String.valueOf(reason));
        assertEquals(code, ((AMQP.Channel.Close) reason).getReplyCode(), String.valueOf(reason));
    }
}
