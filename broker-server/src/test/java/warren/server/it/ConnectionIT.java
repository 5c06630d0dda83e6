package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.SaslConfig;
import com.rabbitmq.client.SaslMechanism;
import com.rabbitmq.client.impl.LongStringHelper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.SocketFactory;
import org.junit.jupiter.api.Test;

/** Connection-level protocol: header negotiation, tuning, heartbeats, server properties, SASL, vhosts. */
class ConnectionIT extends AmqpIT {

    private static final byte[] SUPPORTED = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

    private void assertHeaderRefused(byte[] header) throws IOException {
        try (RawAmqp raw = RawAmqp.connect(broker.port())) {
            raw.writeRaw(header);
            byte[] reply = raw.readUpTo(8);
            assertArrayEquals(SUPPORTED, reply, "server must answer with the protocol header it supports");
            assertTrue(raw.awaitEof(TIMEOUT), "server must close the socket after refusing the header");
        }
    }

    @Test
    void unsupportedAmqpVersionHeaderIsAnsweredWithAmqp091HeaderAndClosed() throws Exception {
        assertHeaderRefused(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 2});
    }

    @Test
    void httpRequestInsteadOfHeaderIsAnsweredWithAmqp091HeaderAndClosed() throws Exception {
        assertHeaderRefused("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void connectionStartOffersPlainAndAmqplainAndVersion091() throws Exception {
        try (RawAmqp raw = RawAmqp.connect(broker.port())) {
            raw.writeRaw(RawAmqp.AMQP_0_9_1);
            RawAmqp.Frame start = raw.readFrame();
            assertNotNull(start);
            assertTrue(start.isMethod(10, 10), "connection.start expected, got " + RawAmqp.describe(start));
            assertEquals(0, start.channel());
            DataInputStream d = new DataInputStream(new ByteArrayInputStream(start.payload(), 4, start.payload().length - 4));
            assertEquals(0, d.readUnsignedByte(), "version-major");
            assertEquals(9, d.readUnsignedByte(), "version-minor");
            int tableLen = d.readInt();
            d.skipBytes(tableLen);
            byte[] mech = new byte[d.readInt()];
            d.readFully(mech);
            byte[] locales = new byte[d.readInt()];
            d.readFully(locales);
            java.util.List<String> mechanisms = java.util.List.of(new String(mech, StandardCharsets.UTF_8).split(" "));
            assertTrue(mechanisms.contains("PLAIN"), "mechanisms " + mechanisms);
            assertTrue(mechanisms.contains("AMQPLAIN"), "mechanisms " + mechanisms);
            assertTrue(new String(locales, StandardCharsets.UTF_8).contains("en_US"));
        }
    }

    @Test
    void serverTuneProposesRabbitDefaults() throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port())) {
            assertEquals(2047, raw.serverTune.channelMax(), "channel_max");
            assertEquals(131072, raw.serverTune.frameMax(), "frame_max");
            assertEquals(60, raw.serverTune.heartbeat(), "heartbeat");
        }
        Connection c = connect();
        assertEquals(2047, c.getChannelMax());
        assertEquals(131072, c.getFrameMax());
    }

    @Test
    void frameLargerThanNegotiatedFrameMaxClosesConnectionWith501() throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port(), -1, 4096, 0)) {
            raw.openChannel(1);
            raw.sendFrame(RawAmqp.FRAME_METHOD, 1, RawAmqp.basicPublish("", "nowhere"));
            raw.sendFrame(RawAmqp.FRAME_HEADER, 1, RawAmqp.contentHeader(5000));
            raw.sendFrame(RawAmqp.FRAME_BODY, 1, new byte[5000]);
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertNotNull(close, "expected connection.close, got EOF");
            assertEquals(501, close.replyCode(), close.replyText());
        }
        assertUsable(connect());
    }

    @Test
    void frameExactlyAtNegotiatedFrameMaxIsAccepted() throws Exception {
        String qn = q("fm");
        channel().queueDeclare(qn, false, false, false, null);
        try (RawAmqp raw = RawAmqp.open(broker.port(), -1, 4096, 0)) {
            raw.openChannel(1);
            raw.sendFrame(RawAmqp.FRAME_METHOD, 1, RawAmqp.basicPublish("", qn));
            raw.sendFrame(RawAmqp.FRAME_HEADER, 1, RawAmqp.contentHeader(4096 - 8));
            raw.sendFrame(RawAmqp.FRAME_BODY, 1, new byte[4096 - 8]);
            // a synchronous round trip on the same channel proves the body frame was accepted
            raw.sendMethod(1, 60, 10, new RawAmqp.Args().u32(0).u16(1).u8(0).build()); // basic.qos
            RawAmqp.Frame f = raw.readFrame();
            assertTrue(f != null && f.isMethod(60, 11), "basic.qos-ok expected, got " + RawAmqp.describe(f));
        }
        var get = channel().basicGet(qn, true);
        assertNotNull(get);
        assertEquals(4096 - 8, get.getBody().length);
    }

    @Test
    void serverSendsHeartbeatsWhenHeartbeatNegotiated() throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port(), -1, -1, 1)) {
            int heartbeats = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (heartbeats < 3 && System.nanoTime() < deadline) {
                RawAmqp.Frame f = raw.readFrame();
                assertNotNull(f, "server closed a connection that was sending heartbeats");
                if (f.type() == RawAmqp.FRAME_HEARTBEAT) {
                    assertEquals(0, f.channel(), "heartbeats travel on channel 0");
                    assertEquals(0, f.payload().length);
                    heartbeats++;
                    raw.sendFrame(RawAmqp.FRAME_HEARTBEAT, 0, new byte[0]);
                }
            }
            assertTrue(heartbeats >= 3, "heartbeats received: " + heartbeats);
        }
    }

    @Test
    void javaClientWithHeartbeatOneStaysConnected() throws Exception {
        ConnectionFactory f = factory();
        f.setRequestedHeartbeat(1);
        Connection c = track(f.newConnection());
        assertEquals(1, c.getHeartbeat());
        // The Java client closes the connection itself if it misses server heartbeats; idle for > 2 intervals.
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        c.addShutdownListener(s -> closed.countDown());
        assertFalse(closed.await(4, java.util.concurrent.TimeUnit.SECONDS), "idle connection with heartbeat 1 was closed: " + c.getCloseReason());
        assertUsable(c);
    }

    @Test
    void silentClientIsDisconnectedAfterMissedHeartbeats() throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port(), -1, -1, 1)) {
            long t0 = System.nanoTime();
            assertTrue(raw.awaitEof(TIMEOUT), "server kept a silent heartbeat=1 client connected for " + TIMEOUT);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(took.toMillis() >= 1000, "disconnected too early: " + took);
        }
    }

    @Test
    void openingChannelAboveNegotiatedChannelMaxIsConnectionError530() throws Exception {
        try (RawAmqp raw = RawAmqp.open(broker.port(), 2, -1, 0)) {
            raw.openChannel(1);
            raw.openChannel(2);
            raw.sendMethod(3, 20, 10, new RawAmqp.Args().shortstr("").build());
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertNotNull(close, "expected connection.close, got EOF");
            assertEquals(0, close.channel());
            assertEquals(530, close.replyCode(), close.replyText());
        }
    }

    @Test
    void serverPropertiesAdvertiseCapabilities() throws Exception {
        Map<String, Object> props = conn().getServerProperties();
        for (String k : new String[] {"product", "version", "platform"}) {
            assertNotNull(props.get(k), k + " missing from " + props);
            assertFalse(props.get(k).toString().isBlank(), k);
        }
        Object caps = props.get("capabilities");
        assertInstanceOf(Map.class, caps, "capabilities table");
        Map<?, ?> capabilities = (Map<?, ?>) caps;
        for (String cap : new String[] {"publisher_confirms", "exchange_exchange_bindings", "basic.nack",
                "consumer_cancel_notify", "connection.blocked", "authentication_failure_close",
                "per_consumer_qos", "direct_reply_to"}) {
            assertEquals(Boolean.TRUE, capabilities.get(cap), "capability " + cap + " in " + capabilities);
        }
    }

    @Test
    void saslPlainAuthenticates() throws Exception {
        ConnectionFactory f = factory();
        f.setSaslConfig(DefaultSaslConfig.PLAIN);
        assertUsable(track(f.newConnection()));
    }

    @Test
    void saslAmqplainAuthenticates() throws Exception {
        ConnectionFactory f = factory();
        f.setSaslConfig(amqplain());
        assertUsable(track(f.newConnection()));
    }

    @Test
    void saslAmqplainWithWrongPasswordIsRefused() {
        ConnectionFactory f = factory();
        f.setSaslConfig(amqplain());
        f.setPassword("not-the-password");
        AuthenticationFailureException e = assertThrows(AuthenticationFailureException.class, f::newConnection);
        assertTrue(e.getMessage().startsWith("ACCESS_REFUSED"), e.getMessage());
    }

    @Test
    void wrongPasswordFailsWithAuthenticationFailure403() {
        ConnectionFactory f = factory();
        f.setPassword("wrong");
        AuthenticationFailureException e = assertThrows(AuthenticationFailureException.class, f::newConnection);
        assertTrue(e.getMessage().startsWith("ACCESS_REFUSED"), e.getMessage());
    }

    @Test
    void unknownUserFailsWithAuthenticationFailure() {
        ConnectionFactory f = factory();
        f.setUsername(unique("nobody"));
        AuthenticationFailureException e = assertThrows(AuthenticationFailureException.class, f::newConnection);
        assertTrue(e.getMessage().startsWith("ACCESS_REFUSED"), e.getMessage());
    }

    private static byte[] clientPropertiesWithAuthFailureClose() {
        byte[] inner = new RawAmqp.Args().shortstr("authentication_failure_close").u8('t').u8(1).build();
        return new RawAmqp.Args().shortstr("capabilities").u8('F').table(inner).build();
    }

    private static void sendStartOkWrongPassword(RawAmqp raw, byte[] clientProperties) throws IOException {
        raw.writeRaw(RawAmqp.AMQP_0_9_1);
        assertTrue(raw.readFrame().isMethod(10, 10));
        raw.sendMethod(0, 10, 11, new RawAmqp.Args().table(clientProperties).shortstr("PLAIN")
                .longstr(RawAmqp.bytes("\0guest\0wrong")).shortstr("en_US").build());
    }

    @Test
    void wrongPasswordWithAuthenticationFailureCloseCapabilityGetsConnectionClose403() throws Exception {
        try (RawAmqp raw = RawAmqp.connect(broker.port())) {
            sendStartOkWrongPassword(raw, clientPropertiesWithAuthFailureClose());
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertNotNull(close, "authentication_failure_close: expected connection.close before the socket closes");
            assertEquals(403, close.replyCode(), close.replyText());
            assertTrue(close.replyText().startsWith("ACCESS_REFUSED"), close.replyText());
        }
    }

    @Test
    void wrongPasswordWithoutAuthenticationFailureCloseCapabilityJustClosesSocket() throws Exception {
        // RabbitMQ only sends connection.close 403 to clients that announce the capability (AMQP 0-9-1 says
        // the server closes the socket without a close method); older clients just see the socket close.
        try (RawAmqp raw = RawAmqp.connect(broker.port())) {
            sendStartOkWrongPassword(raw, new byte[0]);
            RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
            assertEquals(null, close, "no connection.close expected without the capability");
        }
    }

    @Test
    void unknownVhostIsConnectionError530() {
        ConnectionFactory f = factory();
        f.setVirtualHost(unique("no-such-vhost"));
        assertConnectionError(530, f::newConnection);
    }

    @Test
    void userWithoutPermissionOnVhostIsConnectionError530() throws Exception {
        String u = user("noperm", "pw");
        ConnectionFactory f = factory();
        f.setUsername(u);
        f.setPassword("pw");
        assertConnectionError(530, f::newConnection);
    }

    @Test
    void loopbackUserIsAcceptedFromAnyAddressIn127Slash8() throws Exception {
        // guest is a loopback user by default (loopback_users.guest = true); 127.0.0.2 is a loopback address too.
        ConnectionFactory f = factory();
        BoundSocketFactory sf = new BoundSocketFactory(InetAddress.getByName("127.0.0.2"));
        f.setSocketFactory(sf);
        Connection c = track(f.newConnection());
        assertNotNull(sf.last);
        assertEquals("127.0.0.2", sf.last.getLocalAddress().getHostAddress());
        assertUsable(c);
    }

    // ------------------------------------------------------------------ helpers

    /** AMQPLAIN: the response is a field table (without its length prefix) with LOGIN and PASSWORD. */
    static SaslConfig amqplain() {
        return mechanisms -> {
            boolean offered = false;
            for (String m : mechanisms) {
                offered |= m.equals("AMQPLAIN");
            }
            if (!offered) {
                return null;
            }
            return new SaslMechanism() {
                @Override
                public String getName() {
                    return "AMQPLAIN";
                }

                @Override
                public LongString handleChallenge(LongString challenge, String username, String password) {
                    ByteArrayOutputStream bo = new ByteArrayOutputStream();
                    DataOutputStream d = new DataOutputStream(bo);
                    try {
                        writeEntry(d, "LOGIN", username);
                        writeEntry(d, "PASSWORD", password);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                    return LongStringHelper.asLongString(bo.toByteArray());
                }

                private void writeEntry(DataOutputStream d, String key, String value) throws IOException {
                    byte[] k = key.getBytes(StandardCharsets.UTF_8);
                    byte[] v = value.getBytes(StandardCharsets.UTF_8);
                    d.writeByte(k.length);
                    d.write(k);
                    d.writeByte('S');
                    d.writeInt(v.length);
                    d.write(v);
                }
            };
        };
    }

    /** Binds client sockets to a given local (loopback) address. */
    static final class BoundSocketFactory extends SocketFactory {
        private final InetAddress local;
        volatile Socket last;

        BoundSocketFactory(InetAddress local) {
            this.local = local;
        }

        @Override
        public Socket createSocket() throws IOException {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(local, 0));
            last = s;
            return s;
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket s = createSocket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            Socket s = createSocket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return createSocket(address, port);
        }
    }
}
