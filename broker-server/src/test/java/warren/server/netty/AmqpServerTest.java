package warren.server.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.netty.channel.EventLoop;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;

@Timeout(30)
class AmqpServerTest {
    @TempDir
    Path tempDir;

    private EventLoops loops;
    private Broker broker;
    private AmqpServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        loops = EventLoops.create(2, true);
        broker = new Broker(BrokerSettings.defaults("warren@test", tempDir), loops.queueExecutors());
        server = new AmqpServer(broker, "127.0.0.1", 0, loops);
        address = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        broker.close();
        loops.close();
    }

    private Socket connect() throws Exception {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.connect(address, 5_000);
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"AMQP\u0001\u0001\u0000\u0009", "AMQP\u0000\u0000\u0000\u0009",
            "AMQP\u0000\u0000\u0009\u0000", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"})
    void wrongProtocolHeaderGetsOursBackThenClose(String header) throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(AmqpWire.ascii(header));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            assertArrayEquals(AmqpWire.HEADER_0_9_1, in.readNBytes(8));
            assertTrue(AmqpWire.readsToEof(in), "server closes the socket");
        }
    }

    @Test
    void headerSentByteAtATimeGetsConnectionStart() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            for (byte b : AmqpWire.HEADER_0_9_1) {
                out.write(b);
                out.flush();
            }
            AmqpWire.RawFrame start = AmqpWire.readFrame(s.getInputStream());
            assertEquals(1, start.type());
            assertEquals(0, start.channel());
            assertEquals(10, start.classId());
            assertEquals(10, start.methodId());
        }
    }

    @Test
    void frameLargerThanFrameMaxGetsFrameErrorThenClose() throws Exception {
        try (Socket s = connect()) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            InputStream in = s.getInputStream();
            out.write(AmqpWire.HEADER_0_9_1);
            out.flush();
            AmqpWire.RawFrame start = AmqpWire.readFrame(in);
            assertEquals(10, start.methodId());

            int frameMax = broker.settings().frameMax();
            out.writeByte(1);
            out.writeShort(0);
            out.writeInt(frameMax); // + 8 octets of overhead: too big
            out.write(new byte[1024]);
            out.flush();

            AmqpWire.RawFrame close = AmqpWire.readFrame(in);
            assertEquals(1, close.type());
            assertEquals(0, close.channel());
            assertEquals(10, close.classId());
            assertEquals(50, close.methodId());
            assertEquals(501, close.replyCode());
            assertTrue(close.replyText().contains("frame_max"), close.replyText());
            // Further bytes (e.g. a close-ok) are discarded; the server closes on its own.
            out.write(new byte[4096]);
            out.flush();
            assertTrue(AmqpWire.readsToEof(in), "server closes the socket");
        }
    }

    @Test
    void javaClientHandshakePublishAndGet() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(address.getAddress().getHostAddress());
        f.setPort(address.getPort());
        f.setConnectionTimeout(5_000);
        f.setHandshakeTimeout(5_000);
        f.setRequestedHeartbeat(5);
        f.setAutomaticRecoveryEnabled(false);
        try (com.rabbitmq.client.Connection c = f.newConnection();
                com.rabbitmq.client.Channel ch = c.createChannel()) {
            assertEquals(5, c.getHeartbeat());
            String q = ch.queueDeclare("netty-test", false, true, true, null).getQueue();
            ch.basicPublish("", q, null, "hello".getBytes(StandardCharsets.UTF_8));
            GetResponse r = null;
            for (int i = 0; i < 200 && r == null; i++) {
                r = ch.basicGet(q, true);
            }
            assertNotNull(r, "message arrives");
            assertEquals("hello", new String(r.getBody(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void queueExecutorsAreWorkerLoopsRoundRobin() {
        Supplier<Executor> executors = server.queueExecutors();
        Set<Executor> seen = new HashSet<>();
        Executor first = executors.get();
        seen.add(first);
        Executor second = executors.get();
        seen.add(second);
        assertTrue(first instanceof EventLoop);
        assertNotSame(first, second);
        assertSame(first, executors.get(), "two workers: the third wraps around");
        assertEquals(2, seen.size());
    }

    @Test
    void closeDropsOpenConnections() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(AmqpWire.HEADER_0_9_1);
            AmqpWire.readFrame(s.getInputStream());
            server.close();
            assertTrue(AmqpWire.readsToEof(s.getInputStream()));
        }
    }
}
