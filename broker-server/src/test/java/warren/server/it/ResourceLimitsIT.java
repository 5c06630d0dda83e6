package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.cli.WarrenCtl;
import warren.server.process.NodeProcess;

/**
 * connection_max, channel_max and the vhost and user limits of {@code warrenctl set_vhost_limits} /
 * {@code set_user_limits}, against a real node process over real sockets, with RabbitMQ 3.10.8's
 * codes, texts and warrenctl output (each checked against rabbitmqctl 3.10.8 and a running RabbitMQ
 * 3.10.8). The limits are definitions: they survive a restart of the (disc) node.
 */
class ResourceLimitsIT {
    @TempDir
    static Path dir;
    private static NodeProcess node;
    private String out;
    private String err;

    @BeforeAll
    static void start() throws Exception {
        node = new NodeProcess(dir.resolve("node"), "-Xmx256m").config("channel_max = 5\nconnection_max = 3\n");
        node.start();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void channelMaxBoundsTheNumberOfOpenChannelsAsRabbitMq() throws Exception {
        try (RawAmqp r = RawAmqp.open(node.amqpPort())) {
            assertEquals(5, r.serverTune.channelMax());
            r.openChannel(100); // RabbitMQ bounds the count of channels, not their numbers
            for (int ch = 1; ch <= 4; ch++) {
                r.openChannel(ch);
            }
            r.sendMethod(5, 20, 10, new RawAmqp.Args().shortstr("").build());
            RawAmqp.Close close = r.awaitConnectionClose(Duration.ofSeconds(5));
            assertNotNull(close);
            assertEquals(530, close.replyCode());
            assertEquals("NOT_ALLOWED - number of channels opened (5) has reached the negotiated channel_max (5)",
                    close.replyText());
        }
    }

    @Test
    void tuneOkAskingForNoChannelLimitIsRefusedAsRabbitMq() throws Exception {
        try (RawAmqp r = RawAmqp.connect(node.amqpPort())) {
            r.writeRaw(RawAmqp.AMQP_0_9_1);
            assertTrue(r.readFrame().isMethod(10, 10), "connection.start");
            r.sendMethod(0, 10, 11, new RawAmqp.Args().table(new byte[0]).shortstr("PLAIN")
                    .longstr(RawAmqp.bytes("\0guest\0guest")).shortstr("en_US").build());
            assertTrue(r.readFrame().isMethod(10, 30), "connection.tune");
            r.sendMethod(0, 10, 31, new RawAmqp.Args().u16(0).u32(131072).u16(0).build());
            // RabbitMQ 3.10 (checked on the wire): a tune-ok outside the limits closes the socket without
            // connection.close, for channel_max as for frame_max; the reason is in the node's log
            assertNull(r.awaitConnectionClose(Duration.ofSeconds(5)), "no connection.close, just EOF");
        }
        waitForLog("negotiated channel_max = 0 is higher than the maximum allowed value (5)");
    }

    private void waitForLog(String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!node.allLogs().contains(text)) {
            if (System.nanoTime() > deadline) {
                fail("the node's log never said: " + text);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void connectionMaxHoldsFurtherConnectionsUntilOneCloses() throws Exception {
        List<Connection> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(node.connect());
            }
            try (RawAmqp fourth = RawAmqp.connect(node.amqpPort())) {
                fourth.writeRaw(RawAmqp.AMQP_0_9_1);
                fourth.setSoTimeout(1000);
                assertThrows(SocketTimeoutException.class, fourth::readFrame,
                        "at connection_max the listener does not take the 4th connection (it waits in the backlog)");
                open.remove(0).close();
                fourth.setSoTimeout(5000);
                assertTrue(fourth.readFrame().isMethod(10, 10), "served (connection.start) once one closed");
            }
        } finally {
            for (Connection c : open) {
                c.close();
            }
        }
    }

    @Test
    void vhostLimitsAreSetListedEnforcedClearedAndSurviveARestart() throws Exception {
        assertEquals(0, ctl("set_vhost_limits", "{\"max-connections\": 1, \"max-queues\": 1}"), err);
        assertEquals("Setting vhost limits to \"{\"max-connections\": 1, \"max-queues\": 1}\" for vhost \"/\" ...\n",
                out);
        assertEquals(0, ctl("list_vhost_limits"), err);
        assertEquals("Listing limits for vhost \"/\" ...\n{\"max-connections\":1,\"max-queues\":1}\n", out);
        assertEquals(0, ctl("list_vhost_limits", "--global"), err);
        assertEquals("Listing limits for all vhosts ...\nvhost\tlimits\n/\t{\"max-connections\":1,\"max-queues\":1}\n",
                out);

        assertEquals(69, ctl("set_vhost_limits", "{\"max-conn\": 2}"));
        assertEquals("Error:\nValidation failed\n\nUnrecognised terms [{<<\"max-conn\">>,2}] in limits\n\n", err);
        assertEquals(69, ctl("set_vhost_limits", "{\"max-connections\": \"x\"}"));
        assertEquals("Error:\nValidation failed\n\nmax-connections should be a number, actually was <<\"x\">>\n\n", err);
        assertEquals(69, ctl("set_vhost_limits", "notjson"));
        assertEquals("Error:\nJSON decoding error. Reason: badarg\n", err);
        assertEquals(64, ctl("set_vhost_limits"));
        assertTrue(ctl("set_vhost_limits", "-p", "nope", "{\"max-connections\": 2}") != 0, "missing vhost");
        assertTrue(err.contains("Virtual host 'nope' does not exist"), err);

        node.stop();
        node.start();
        assertEquals(0, ctl("list_vhost_limits"), err);
        assertEquals("Listing limits for vhost \"/\" ...\n{\"max-connections\":1,\"max-queues\":1}\n", out,
                "vhost limits are stored definitions");

        try (Connection c = node.connect()) {
            AMQP.Connection.Close refused = connectionRefusal(node.factory());
            assertEquals(530, refused.getReplyCode());
            assertEquals("NOT_ALLOWED - access to vhost '/' refused for user 'guest': connection limit (1) is reached",
                    refused.getReplyText());
            Channel ch = c.createChannel();
            ch.queueDeclare("limited-1", false, false, false, null);
            ch.queueDeclare("limited-1", false, false, false, null); // a redeclare is no new queue
            ShutdownSignalException e = assertThrows(ShutdownSignalException.class, () -> {
                try {
                    ch.queueDeclare("limited-2", false, false, false, null);
                } catch (java.io.IOException io) {
                    throw io.getCause();
                }
            });
            AMQP.Channel.Close close = (AMQP.Channel.Close) e.getReason();
            assertEquals(406, close.getReplyCode());
            assertEquals("PRECONDITION_FAILED - cannot declare queue 'limited-2': queue limit in vhost '/' (1) is "
                    + "reached", close.getReplyText());
            c.createChannel().queueDelete("limited-1");
        }

        assertEquals(0, ctl("clear_vhost_limits"), err);
        assertEquals("Clearing vhost \"/\" limits ...\n", out);
        assertEquals(0, ctl("list_vhost_limits"), err);
        assertEquals("Listing limits for vhost \"/\" ...\n\n", out);
        assertEquals(69, ctl("clear_vhost_limits"));
        assertEquals("Error:\nParameter does not exist\n", err);
        try (Connection a = node.connect(); Connection b = node.connect()) {
            assertTrue(a.isOpen() && b.isOpen(), "no limit once cleared");
        }
    }

    @Test
    void userLimitsAreSetListedEnforcedAndCleared() throws Exception {
        assertEquals(0, ctl("add_user", "limited", "secret"), err);
        assertEquals(0, ctl("set_permissions", "limited", ".*", ".*", ".*"), err);
        assertEquals(0, ctl("set_user_limits", "limited", "{\"max-connections\": 1, \"max-channels\": 2}"), err);
        assertEquals("Setting user limits to \"{\"max-connections\": 1, \"max-channels\": 2}\" for user \"limited\" ...\n",
                out);
        assertEquals(0, ctl("list_user_limits", "--user", "limited"), err);
        assertEquals("Listing limits for user \"limited\" ...\n{\"max-channels\":2,\"max-connections\":1}\n", out);
        assertEquals(0, ctl("list_user_limits"), err);
        assertEquals("Listing limits for user \"guest\" ...\n{}\n", out);
        assertEquals(69, ctl("set_user_limits", "nobody", "{\"max-connections\": 1}"));
        assertEquals("Error:\n{:no_such_user, \"nobody\"}\n", err);
        assertEquals(69, ctl("set_user_limits", "limited", "{\"max-queues\": 1}"));
        assertEquals("Error:\nUnrecognised terms [{<<\"max-queues\">>,1}] in user-limits\n", err);

        ConnectionFactory f = node.factory();
        f.setUsername("limited");
        f.setPassword("secret");
        Connection c = f.newConnection();
        try {
            AMQP.Connection.Close refused = connectionRefusal(f);
            assertEquals(530, refused.getReplyCode());
            assertEquals("NOT_ALLOWED - connection refused for user 'limited': user connection limit (1) is reached",
                    refused.getReplyText());
            c.createChannel();
            c.createChannel();
            ShutdownSignalException e = assertThrows(ShutdownSignalException.class, () -> {
                try {
                    c.createChannel();
                } catch (java.io.IOException io) {
                    throw io.getCause();
                }
            });
            AMQP.Connection.Close close = (AMQP.Connection.Close) e.getReason();
            assertEquals(530, close.getReplyCode());
            assertEquals("NOT_ALLOWED - number of channels opened for user 'limited' has reached the maximum allowed "
                    + "user limit of (2)", close.getReplyText());
        } finally {
            c.abort(); // closed by the server already
        }

        assertEquals(0, ctl("clear_user_limits", "limited", "max-channels"), err);
        assertEquals("Clearing \"max-channels\" limit for user \"limited\" ...\n", out);
        assertEquals(0, ctl("list_user_limits", "--global"), err);
        assertEquals("Listing limits for all users ...\nuser\tlimits\nlimited\t{\"max-connections\":1}\n", out);
        assertEquals(0, ctl("clear_user_limits", "limited", "all"), err);
        assertEquals("Clearing all limits for user \"limited\" ...\n", out);
        try (Connection a = f.newConnection(); Connection b = f.newConnection()) {
            for (int i = 0; i < 3; i++) {
                a.createChannel();
            }
            assertTrue(a.isOpen() && b.isOpen(), "no limit once cleared");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Opens a connection expecting connection.open to be refused; returns the server's connection.close. */
    private static AMQP.Connection.Close connectionRefusal(ConnectionFactory f) {
        try {
            f.newConnection().close();
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Connection.Close c) {
                    return c;
                }
            }
            throw new AssertionError("refused without connection.close", e);
        }
        return fail("the connection was opened");
    }

    private int ctl(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = node.nodeName();
        System.arraycopy(args, 0, all, 2, args.length);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = WarrenCtl.run(all, node.ctlEnv(), new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }
}
