package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #10 items 4 and 8: error texts built from long names are cut to fit a short string (as RabbitMQ:
 * 252 octets and "...") instead of killing the connection with 541; names that are not UTF-8 get
 * RabbitMQ 3.10's 501 FRAME_ERROR "Malformed UTF-8 in shortstr"; basic.recover(requeue=false) gets 540;
 * a tune-ok above the server's frame_max (4294967295 read unsigned) closes the socket without
 * connection.close. After each case a connection opened before it still works and a queue filled before
 * it still holds its messages. Runs against RabbitMQ too ({@code -Dwarren.it.port=...}).
 */
class ErrorPathsIT extends AmqpIT {

    private static final String MALFORMED = "FRAME_ERROR - Malformed UTF-8 in shortstr";

    private Connection bystander;
    private String sentinel;

    @BeforeEach
    void openBystander() throws Exception {
        bystander = connect();
        sentinel = q("sentinel");
        Channel ch = bystander.createChannel();
        ch.queueDeclare(sentinel, false, false, false, null);
        publishConfirmed(ch, "", sentinel, null, "s1", "s2");
    }

    @AfterEach
    void othersUnaffected() throws Exception {
        assertUsable(bystander);
        try (Channel ch = bystander.createChannel()) {
            assertEquals(2, ch.queueDeclarePassive(sentinel).getMessageCount(), "messages published before");
        }
    }

    private static String replyText(ShutdownSignalException sse) {
        Object reason = sse.getReason();
        return reason instanceof AMQP.Channel.Close cc ? cc.getReplyText() : ((AMQP.Connection.Close) reason).getReplyText();
    }

    /** A text cut as RabbitMQ cuts it: at most 255 octets of valid UTF-8, ending in "...". */
    private static void assertCut(String text, String expectedStart) {
        byte[] wire = text.getBytes(StandardCharsets.UTF_8);
        assertTrue(wire.length <= 255 && wire.length >= 250, "reply text of " + wire.length + " octets: " + text);
        assertTrue(text.startsWith(expectedStart), text);
        if (!BrokerFixture.isExternal() || !text.contains("\uFFFD")) { // RabbitMQ 3.10 cuts inside characters
            assertTrue(text.endsWith("..."), text);
            assertFalse(text.contains("\uFFFD"), "cut inside a character: " + text);
        }
    }

    @Test
    void longNamesInErrorTextsAreCutAndOnlyTheChannelCloses() throws Exception {
        Connection c = connect();
        String longQueue = "q".repeat(250);
        assertCut(replyText(assertChannelError(404, () -> c.createChannel().queueDeclarePassive(longQueue))),
                "NOT_FOUND - no queue 'qqqq");
        assertCut(replyText(assertChannelError(404, () -> c.createChannel().exchangeDeclarePassive("x".repeat(250)))),
                "NOT_FOUND - no exchange 'xxxx");
        assertCut(replyText(assertChannelError(404, () -> c.createChannel().basicConsume("c".repeat(250), true,
                (tag, d) -> { }, tag -> { }))), "NOT_FOUND - no queue 'cccc");
        // two-octet characters: the cut never splits one
        assertCut(replyText(assertChannelError(404, () -> c.createChannel().queueDeclarePassive("a" + "\u00e9".repeat(127)))),
                "NOT_FOUND - no queue 'a\u00e9\u00e9");
        Channel pub = c.createChannel();
        pub.basicPublish("e".repeat(250), "k", null, bytes("m"));
        assertCut(replyText(awaitChannelClosed(pub, 404)), "NOT_FOUND - no exchange 'eeee");
        assertUsable(c); // the connection survived all of them
    }

    @Test
    void missingVhostWithALongNameIsConnectionError530() throws Exception {
        ConnectionFactory f = factory();
        f.setVirtualHost("v".repeat(250));
        assertCut(replyText(assertConnectionError(530, f::newConnection)), "NOT_ALLOWED - vhost vvvv");
    }

    /** Opens a raw connection and a channel, sends one method, expects RabbitMQ's 501 and the socket closed. */
    private void expectMalformed(int cls, int meth, byte[] args) throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port())) {
            raw.openChannel(1);
            raw.sendMethod(1, cls, meth, args);
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertNotNull(close, "socket closed without connection.close");
            assertEquals(501, close.replyCode(), close.replyText());
            assertEquals(MALFORMED, close.replyText());
            assertTrue(raw.awaitEof(TIMEOUT), "socket must close after close-ok");
        }
    }

    @Test
    void namesThatAreNotUtf8AreFrameError501() throws Exception {
        byte[] bad = {'q', (byte) 0xFF, (byte) 0xFE};
        byte[] noTable = {0, 0, 0, 0};
        expectMalformed(50, 10, new RawAmqp.Args().u16(0).shortstr(bad).u8(0).raw(noTable).build()); // queue.declare
        expectMalformed(50, 10, new RawAmqp.Args().u16(0).shortstr(bad).u8(1).raw(noTable).build()); // passive
        expectMalformed(50, 10, new RawAmqp.Args().u16(0).shortstr(new byte[] {'q', (byte) 0xC0, (byte) 0xAF}).u8(0)
                .raw(noTable).build()); // overlong encoding of '/'
        expectMalformed(50, 10, new RawAmqp.Args().u16(0).shortstr(new byte[] {'q', (byte) 0xE2, (byte) 0x82}).u8(0)
                .raw(noTable).build()); // truncated sequence
        expectMalformed(40, 10, new RawAmqp.Args().u16(0).shortstr(bad).shortstr("direct").u8(0).raw(noTable).build());
        expectMalformed(60, 20, new RawAmqp.Args().u16(0).shortstr(sentinel).shortstr(bad).u8(0).raw(noTable).build());
        expectMalformed(50, 20, new RawAmqp.Args().u16(0).shortstr(sentinel).shortstr("amq.direct").shortstr(bad).u8(0)
                .raw(noTable).build()); // binding key
        expectMalformed(50, 40, new RawAmqp.Args().u16(0).shortstr(bad).u8(0).build()); // queue.delete
        expectMalformed(60, 70, new RawAmqp.Args().u16(0).shortstr(bad).u8(0).build()); // basic.get
        // connection.open of a vhost whose name is not UTF-8
        try (RawAmqp raw = RawAmqp.connect(broker.port())) {
            RawAmqp.Tune tune = raw.startOk();
            raw.sendMethod(0, 10, 31, new RawAmqp.Args().u16(tune.channelMax()).u32(tune.frameMax()).u16(0).build());
            raw.sendMethod(0, 10, 40, new RawAmqp.Args().shortstr(new byte[] {'v', (byte) 0xFF}).shortstr("").u8(0).build());
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertNotNull(close);
            assertEquals(501, close.replyCode(), close.replyText());
            assertEquals(MALFORMED, close.replyText());
        }
        // well-formed non-ASCII names are fine
        Channel ch = channel();
        String unicode = cleanupQueue(unique("caf\u00e9-\uD83D\uDE00"));
        assertEquals(unicode, ch.queueDeclare(unicode, false, false, false, null).getQueue());
        assertEquals(0, ch.queueDeclarePassive(unicode).getMessageCount());
    }

    @Test
    void publishRoutingKeyIsNotCheckedAndItsDeliveryNeverBreaksTheConsumer() throws Exception {
        // As RabbitMQ, basic.publish's routing key is not checked; 255 malformed octets decode to 255 U+FFFD,
        // 765 octets once encoded again: the delivery must still go out (cut to fit), not kill the connection.
        String target = q("fanout-target");
        Channel ch = channel();
        ch.queueDeclare(target, false, false, false, null);
        String fanout = x("fanout");
        ch.exchangeDeclare(fanout, "fanout");
        ch.queueBind(target, fanout, "");
        byte[] rk = new byte[255];
        java.util.Arrays.fill(rk, (byte) 0xFF);
        try (RawAmqp raw = RawAmqp.open(broker.port())) {
            raw.openChannel(1);
            raw.sendMethod(1, 85, 10, new RawAmqp.Args().u8(0).build()); // confirm.select
            assertTrue(raw.readFrame().isMethod(85, 11));
            raw.sendMethod(1, 60, 40, new RawAmqp.Args().u16(0).shortstr(fanout).shortstr(rk).u8(0).build());
            raw.sendFrame(RawAmqp.FRAME_HEADER, 1, RawAmqp.contentHeader(4));
            raw.sendFrame(RawAmqp.FRAME_BODY, 1, bytes("body"));
            RawAmqp.Frame ack = raw.readFrame();
            assertTrue(ack.isMethod(60, 80), "expected basic.ack, got " + RawAmqp.describe(ack));
        }
        GetResponse got = ch.basicGet(target, true);
        assertNotNull(got, "the message was routed");
        assertEquals("body", str(got.getBody()));
        assertTrue(got.getEnvelope().getRoutingKey().getBytes(StandardCharsets.UTF_8).length <= 255);
        Recorder consumer = new Recorder(ch);
        ch.basicConsume(target, true, consumer);
        Channel pub = connect().createChannel();
        pub.basicPublish(fanout, "\uFFFD".repeat(85), null, bytes("second"));
        assertEquals("second", str(consumer.next().getBody()));
        assertUsable(conn());
    }

    @Test
    void recoverWithoutRequeueIsNotImplemented540AndLosesNothing() throws Exception {
        String qn = q("recover");
        Connection c = connect();
        Channel ch = c.createChannel();
        ch.queueDeclare(qn, false, false, false, null);
        publishConfirmed(ch, "", qn, null, "m1");
        GetResponse got = ch.basicGet(qn, false);
        assertNotNull(got);
        ShutdownSignalException sse = assertConnectionError(540, () -> ch.basicRecover(false));
        assertEquals("NOT_IMPLEMENTED - requeue=false", replyText(sse));
        try (Channel check = bystander.createChannel()) {
            await("the unacked message is back in the queue", () -> {
                try {
                    return check.queueDeclarePassive(qn).getMessageCount() == 1;
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            GetResponse again = check.basicGet(qn, true);
            assertTrue(again.getEnvelope().isRedeliver());
        }
        // recover(requeue=true) still redelivers
        Channel ch2 = connect().createChannel();
        publishConfirmed(ch2, "", qn, null, "m2");
        assertNotNull(ch2.basicGet(qn, false));
        ch2.basicRecover(true);
        assertTrue(ch2.basicGet(qn, true).getEnvelope().isRedeliver());
    }

    @Test
    void tuneOkWithFrameMaxAboveTheServersIsRefusedReadUnsigned() throws Exception {
        for (long frameMax : List.of(4294967295L, 0L, 131073L, 4095L)) {
            try (RawAmqp raw = RawAmqp.connect(broker.port())) {
                RawAmqp.Tune tune = raw.startOk();
                assertEquals(131072, tune.frameMax());
                raw.sendMethod(0, 10, 31, new RawAmqp.Args().u16(tune.channelMax()).u32((int) frameMax).u16(0).build());
                raw.sendMethod(0, 10, 40, new RawAmqp.Args().shortstr("/").shortstr("").u8(0).build());
                // as the spec says and RabbitMQ does: the socket closes without a negotiated close
                RawAmqp.Frame f = readUntilEof(raw, Duration.ofSeconds(10));
                assertNull(f, "frame_max " + frameMax + ": expected the socket closed, got " + RawAmqp.describe(f));
            }
        }
        try (RawAmqp ok = RawAmqp.open(broker.port(), -1, 4096, 0)) {
            ok.openChannel(1); // the smallest frame_max is fine
        }
    }

    /** Reads frames until EOF; returns the first frame that is not a heartbeat, or null at EOF. */
    private static RawAmqp.Frame readUntilEof(RawAmqp raw, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            RawAmqp.Frame f;
            try {
                f = raw.readFrame();
            } catch (java.net.SocketTimeoutException e) {
                continue;
            }
            if (f == null) {
                return null;
            }
            if (f.type() != RawAmqp.FRAME_HEARTBEAT) {
                return f;
            }
        }
        throw new AssertionError("socket still open after " + bound);
    }

    @Test
    void pikaSeesAChannelError404WithTheTextCut(@TempDir Path tmp) throws Exception {
        String python = PikaInteropIT.pythonWithPika();
        Assumptions.assumeTrue(python != null, "python3 with pika not available (apt-get install python3-pika)");
        Path script = tmp.resolve("long_name.py");
        Files.writeString(script, String.join("\n",
                "import sys, pika",
                "params = pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1]),"
                        + " credentials=pika.PlainCredentials('guest', 'guest'))",
                "c = pika.BlockingConnection(params)",
                "ch = c.channel()",
                "try:",
                "    ch.queue_declare('q' * 250, passive=True)",
                "    print('declared?')",
                "except pika.exceptions.ChannelClosedByBroker as e:",
                "    print(e.reply_code, len(e.reply_text.encode()), e.reply_text.endswith('...'))",
                "ch2 = c.channel()",
                "q = ch2.queue_declare('', exclusive=True).method.queue",
                "ch2.basic_publish('', q, b'after')",
                "m, props, body = ch2.basic_get(q, auto_ack=True)",
                "print(body.decode(), c.is_open)",
                "c.close()",
                "try:",
                "    pika.BlockingConnection(pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1]),"
                        + " virtual_host='v' * 250, credentials=pika.PlainCredentials('guest', 'guest')))",
                "    print('opened?')",
                "except pika.exceptions.ConnectionClosedByBroker as e:",
                "    print(e.reply_code, len(e.reply_text.encode()), e.reply_text.endswith('...'))",
                "except pika.exceptions.ProbableAccessDeniedError as e:",
                "    print('access denied', e)",
                ""));
        String out = PikaInteropIT.runPika(python, script, String.valueOf(broker.port()));
        List<String> lines = out.lines().toList();
        assertEquals("404 255 True", lines.get(0), out);
        assertEquals("after True", lines.get(1), out);
        assertTrue(lines.get(2).startsWith("530 255 True") || lines.get(2).startsWith("access denied"), out);
    }
}
