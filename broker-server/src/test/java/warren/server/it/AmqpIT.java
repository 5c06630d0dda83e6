package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base class of the AMQP integration tests: one broker per test class (see {@link BrokerFixture}), helpers
 * for connections, unique names with cleanup, and exact assertions on channel/connection closes.
 */
public abstract class AmqpIT {

    @RegisterExtension
    static final BrokerFixture broker = BrokerFixture.defaults();

    /** Bound for anything that should happen "promptly". */
    protected static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long we watch for something that must NOT happen (e.g. an extra delivery beyond prefetch). */
    protected static final Duration QUIET = Duration.ofMillis(500);

    private final List<Connection> connections = new ArrayList<>();
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private final List<String> users = new ArrayList<>();
    private final List<String> vhosts = new ArrayList<>();
    private Connection conn;

    // ------------------------------------------------------------------ connections

    protected ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(broker.host());
        f.setPort(broker.port());
        f.setUsername("guest");
        f.setPassword("guest");
        f.setVirtualHost("/");
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setConnectionTimeout(10_000);
        f.setHandshakeTimeout(10_000);
        f.setShutdownTimeout(2_000);
        return f;
    }

    /** A new tracked connection (closed after the test). */
    protected Connection connect() throws Exception {
        return track(factory().newConnection());
    }

    protected Connection track(Connection c) {
        connections.add(c);
        return c;
    }

    /** The test's shared connection. */
    protected Connection conn() throws Exception {
        if (conn == null || !conn.isOpen()) {
            conn = connect();
        }
        return conn;
    }

    protected Channel channel() throws Exception {
        return conn().createChannel();
    }

    protected static void assumeEmbedded(String why) {
        Assumptions.assumeFalse(BrokerFixture.isExternal(), "Warren-only: " + why);
    }

    // ------------------------------------------------------------------ names & cleanup

    protected static String unique(String prefix) {
        return "it-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A unique queue name that is deleted after the test. */
    protected String q(String prefix) {
        String n = unique(prefix);
        queues.add(n);
        return n;
    }

    /** A unique exchange name that is deleted after the test. */
    protected String x(String prefix) {
        String n = unique(prefix);
        exchanges.add(n);
        return n;
    }

    protected String cleanupQueue(String name) {
        queues.add(name);
        return name;
    }

    protected String user(String prefix, String password) {
        String n = unique(prefix);
        broker.admin().addUser(n, password);
        users.add(n);
        return n;
    }

    protected String vhost(String prefix) {
        String n = unique(prefix);
        broker.admin().addVhost(n);
        vhosts.add(n);
        return n;
    }

    @AfterEach
    void cleanUpBrokerState() throws Exception {
        if (!queues.isEmpty() || !exchanges.isEmpty()) {
            try (Connection c = factory().newConnection()) {
                for (String qn : queues) {
                    try (Channel ch = c.createChannel()) {
                        ch.queueDelete(qn);
                    } catch (IOException | ShutdownSignalException e) {
                        // exclusive queue of a closed connection, already gone, etc.
                    }
                }
                for (String xn : exchanges) {
                    try (Channel ch = c.createChannel()) {
                        ch.exchangeDelete(xn);
                    } catch (IOException | ShutdownSignalException e) {
                        // ignore
                    }
                }
            }
        }
        for (Connection c : connections) {
            try {
                if (c.isOpen()) {
                    c.abort(2000);
                }
            } catch (RuntimeException e) {
                // ignore
            }
        }
        for (String u : users) {
            broker.admin().deleteUser(u);
        }
        for (String v : vhosts) {
            broker.admin().deleteVhost(v);
        }
    }

    // ------------------------------------------------------------------ messages

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    protected static String body(GetResponse r) {
        assertNotNull(r, "expected a message, got basic.get-empty");
        return str(r.getBody());
    }

    protected static void publish(Channel ch, String exchange, String routingKey, String body) throws IOException {
        ch.basicPublish(exchange, routingKey, null, bytes(body));
    }

    /** Publishes with confirms and waits for all acks, so later checks see the messages enqueued. */
    protected static void publishConfirmed(Channel ch, String exchange, String routingKey, AMQP.BasicProperties props,
            String... bodies) throws Exception {
        ch.confirmSelect();
        for (String b : bodies) {
            ch.basicPublish(exchange, routingKey, props, bytes(b));
        }
        ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
    }

    /** Drains a queue with basic.get (auto-ack) and returns the bodies in order. */
    protected static List<String> drain(Channel ch, String queue) throws IOException {
        List<String> out = new ArrayList<>();
        GetResponse r;
        while ((r = ch.basicGet(queue, true)) != null) {
            out.add(str(r.getBody()));
        }
        return out;
    }

    /** A consumer that records every delivery, cancel and shutdown. */
    protected static final class Recorder extends DefaultConsumer {
        public final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        public final CountDownLatch cancelledByServer = new CountDownLatch(1);
        public final CountDownLatch consumeOk = new CountDownLatch(1);

        public Recorder(Channel ch) {
            super(ch);
        }

        @Override
        public void handleConsumeOk(String consumerTag) {
            super.handleConsumeOk(consumerTag);
            consumeOk.countDown();
        }

        @Override
        public void handleCancel(String consumerTag) {
            cancelledByServer.countDown();
        }

        @Override
        public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
            deliveries.add(new Delivery(env, props, body));
        }

        public Delivery next() throws InterruptedException {
            Delivery d = deliveries.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(d, "no delivery within " + TIMEOUT);
            return d;
        }

        public List<Delivery> next(int n) throws InterruptedException {
            List<Delivery> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(next());
            }
            return out;
        }

        public void assertNoMoreWithin(Duration d) throws InterruptedException {
            Delivery extra = deliveries.poll(d.toMillis(), TimeUnit.MILLISECONDS);
            if (extra != null) {
                fail("unexpected delivery " + str(extra.getBody()) + " tag " + extra.getEnvelope().getDeliveryTag());
            }
        }
    }

    // ------------------------------------------------------------------ waiting

    /** Bounded wait for a condition (polls; there is no event for most broker-side state). */
    protected static void await(String what, BooleanSupplier cond) throws InterruptedException {
        await(what, TIMEOUT, cond);
    }

    protected static void await(String what, Duration bound, BooleanSupplier cond) throws InterruptedException {
        await(what, bound, Duration.ofMillis(20), cond);
    }

    protected static void await(String what, Duration bound, Duration pollInterval, BooleanSupplier cond)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + bound + " waiting for: " + what);
            }
            TimeUnit.NANOSECONDS.sleep(pollInterval.toNanos());
        }
    }

    /** Asserts that {@code cond} stays false for the whole window (for things that must not happen). */
    protected static void assertNever(String what, Duration window, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + window.toNanos();
        do {
            if (cond.getAsBoolean()) {
                fail("unexpectedly happened: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        } while (System.nanoTime() < deadline);
        if (cond.getAsBoolean()) {
            fail("unexpectedly happened: " + what);
        }
    }

    // ------------------------------------------------------------------ error assertions

    @FunctionalInterface
    protected interface AmqpCall {
        void run() throws Exception;
    }

    protected static ShutdownSignalException findSse(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException sse) {
                return sse;
            }
        }
        return null;
    }

    protected static int replyCode(ShutdownSignalException sse) {
        Object reason = sse.getReason();
        if (reason instanceof AMQP.Channel.Close cc) {
            return cc.getReplyCode();
        }
        if (reason instanceof AMQP.Connection.Close cc) {
            return cc.getReplyCode();
        }
        throw new AssertionError("no close method in " + sse, sse);
    }

    private static ShutdownSignalException expectSse(AmqpCall op) {
        try {
            op.run();
        } catch (Throwable t) {
            ShutdownSignalException sse = findSse(t);
            if (sse == null) {
                throw new AssertionError("expected a channel/connection close, got " + t, t);
            }
            return sse;
        }
        throw new AssertionError("expected a channel/connection close, but the call succeeded");
    }

    /** Runs {@code op} and asserts it fails with a channel close {@code code} (the connection stays open). */
    protected static ShutdownSignalException assertChannelError(int code, AmqpCall op) {
        ShutdownSignalException sse = expectSse(op);
        assertChannelClose(code, sse);
        return sse;
    }

    /** Runs {@code op} and asserts it fails with a connection close {@code code}. */
    protected static ShutdownSignalException assertConnectionError(int code, AmqpCall op) {
        ShutdownSignalException sse = expectSse(op);
        assertConnectionClose(code, sse);
        return sse;
    }

    protected static void assertChannelClose(int code, ShutdownSignalException sse) {
        assertFalse(sse.isHardError(), () -> "expected a channel error " + code + " but the connection was closed: " + sse);
        assertTrue(sse.getReason() instanceof AMQP.Channel.Close, () -> "not a channel.close: " + sse);
        assertEquals(code, replyCode(sse), () -> "reply code of " + sse.getMessage());
    }

    protected static void assertConnectionClose(int code, ShutdownSignalException sse) {
        assertTrue(sse.isHardError(), () -> "expected a connection error " + code + " but only the channel was closed: " + sse);
        assertTrue(sse.getReason() instanceof AMQP.Connection.Close, () -> "not a connection.close: " + sse);
        assertEquals(code, replyCode(sse), () -> "reply code of " + sse.getMessage());
    }

    /** For asynchronous failures (e.g. basic.publish): waits until the channel is closed and checks the code. */
    protected static ShutdownSignalException awaitChannelClosed(Channel ch, int code) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        ch.addShutdownListener(s -> closed.countDown());
        assertTrue(closed.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "channel not closed within " + TIMEOUT);
        ShutdownSignalException sse = ch.getCloseReason();
        assertChannelClose(code, sse);
        return sse;
    }

    protected static ShutdownSignalException awaitConnectionClosed(Connection c, int code) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        c.addShutdownListener(s -> closed.countDown());
        assertTrue(closed.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "connection not closed within " + TIMEOUT);
        ShutdownSignalException sse = c.getCloseReason();
        assertConnectionClose(code, sse);
        return sse;
    }

    /** The connection is open and does a full round trip on a fresh channel. */
    protected static void assertUsable(Connection c) throws Exception {
        assertTrue(c.isOpen(), "connection closed");
        Channel ch = c.createChannel();
        try {
            String qn = ch.queueDeclare("", false, true, true, null).getQueue();
            String payload = "ping-" + UUID.randomUUID();
            ch.confirmSelect();
            ch.basicPublish("", qn, null, bytes(payload));
            ch.waitForConfirmsOrDie(TIMEOUT.toMillis());
            GetResponse r = ch.basicGet(qn, true);
            assertNotNull(r, "round trip message missing");
            assertArrayEquals(bytes(payload), r.getBody());
            ch.queueDelete(qn);
        } finally {
            if (ch.isOpen()) {
                ch.close();
            }
        }
    }
}
