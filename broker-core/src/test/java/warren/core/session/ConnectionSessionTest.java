package warren.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameReader;
import warren.core.amqp.FrameWriter;
import warren.core.amqp.LongString;
import warren.core.amqp.Method;
import warren.core.amqp.MethodCodec;
import warren.core.amqp.method.ConnectionClose;
import warren.core.amqp.method.ConnectionStart;
import warren.core.amqp.method.ConnectionStartOk;
import warren.core.amqp.method.ConnectionTune;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;

/**
 * The handshake state machine driven with frames through a recording transport: what a socket
 * test cannot reach, such as a client whose address is not loopback (all test traffic stays on
 * 127.0.0.0/8).
 */
class ConnectionSessionTest {
    @TempDir
    Path dir;
    private Broker broker;

    /** A transport that records what the session writes and runs tasks inline. */
    private static final class RecordingIo implements ConnectionIo {
        final boolean loopback;
        final ByteBuf written = Unpooled.buffer();
        boolean closed;

        RecordingIo(boolean loopback) {
            this.loopback = loopback;
        }

        List<Method> methods() {
            List<Method> out = new ArrayList<>();
            FrameReader reader = new FrameReader(0);
            Frame f;
            while ((f = reader.read(written)) != null) {
                if (f.type() == Frame.TYPE_METHOD) {
                    out.add(MethodCodec.decode(f.payload()));
                }
                f.payload().release();
            }
            return out;
        }

        @Override public ByteBufAllocator alloc() { return UnpooledByteBufAllocator.DEFAULT; }
        @Override public void write(ByteBuf frames) { written.writeBytes(frames); frames.release(); }
        @Override public void flush() { }
        @Override public void closeAfterFlush() { closed = true; }
        @Override public void execute(Runnable task) { task.run(); }
        @Override public boolean isWritable() { return true; }
        @Override public void setReading(boolean reading) { }
        @Override public void startHeartbeats(int seconds) { }
        @Override public void setMaxFrameSize(int frameMax) { }
        @Override public String peerHost() { return loopback ? "127.0.0.1" : "192.0.2.10"; }
        @Override public int peerPort() { return 40000; }
        @Override public boolean peerIsLoopback() { return loopback; }
        @Override public String localHost() { return "127.0.0.1"; }
        @Override public int localPort() { return 5672; }
    }

    @AfterEach
    void close() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Frame frame(Method m) {
        ByteBuf buf = Unpooled.buffer();
        FrameWriter.writeMethod(buf, 0, m);
        return new FrameReader(0).read(buf);
    }

    private static ConnectionStartOk plainLogin(String user, String pass, boolean failureClose) {
        Map<String, Object> props = Map.of("capabilities", Map.of("authentication_failure_close", failureClose));
        return new ConnectionStartOk(props, "PLAIN", LongString.of("\0" + user + "\0" + pass), "en_US");
    }

    private RecordingIo handshake(boolean loopback, ConnectionStartOk startOk) {
        broker = new Broker(BrokerSettings.defaults("warren@test", dir));
        RecordingIo io = new RecordingIo(loopback);
        ConnectionSession session = new ConnectionSession(broker, io);
        session.start();
        session.onFrame(frame(startOk));
        return io;
    }

    @Test
    void guestFromANonLoopbackAddressIsRefusedWith403() {
        RecordingIo io = handshake(false, plainLogin("guest", "guest", true));
        List<Method> out = io.methods();
        assertInstanceOf(ConnectionStart.class, out.get(0));
        ConnectionClose close = assertInstanceOf(ConnectionClose.class, out.get(1));
        assertEquals(403, close.replyCode());
        assertTrue(close.replyText().contains("user 'guest' can only connect via localhost"), close.replyText());
        assertTrue(io.closed);
    }

    @Test
    void guestFromLoopbackIsTuned() {
        RecordingIo io = handshake(true, plainLogin("guest", "guest", true));
        List<Method> out = io.methods();
        assertInstanceOf(ConnectionTune.class, out.get(1));
        assertTrue(!io.closed);
    }

    @Test
    void userNotInLoopbackUsersMayConnectFromAnyAddress() {
        broker = new Broker(BrokerSettings.defaults("warren@test", dir));
        broker.admin().addUser("remote", "secret", java.util.Set.of());
        RecordingIo io = new RecordingIo(false);
        ConnectionSession session = new ConnectionSession(broker, io);
        session.start();
        session.onFrame(frame(plainLogin("remote", "secret", true)));
        assertInstanceOf(ConnectionTune.class, io.methods().get(1));
    }

    @Test
    void refusedLoginWithoutTheCapabilityJustClosesTheSocket() {
        RecordingIo io = handshake(false, plainLogin("guest", "guest", false));
        List<Method> out = io.methods();
        assertEquals(1, out.size(), "only connection.start: " + out);
        assertTrue(io.closed);
    }
}
