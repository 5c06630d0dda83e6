package warren.server.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameWriter;
import warren.core.amqp.LongString;
import warren.core.amqp.Method;
import warren.core.amqp.method.ConnectionOpen;
import warren.core.amqp.method.ConnectionStartOk;
import warren.core.amqp.method.ConnectionTuneOk;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;

@Timeout(30)
class HeartbeatTest {
    @TempDir
    Path tempDir;

    private static void send(OutputStream out, Method m) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        FrameWriter.writeMethod(buf, 0, m);
        out.write(ByteBufUtil.getBytes(buf));
        buf.release();
        out.flush();
    }

    private static AmqpWire.RawFrame nextMethod(InputStream in) throws Exception {
        AmqpWire.RawFrame f;
        do {
            f = AmqpWire.readFrame(in);
        } while (f.type() == Frame.TYPE_HEARTBEAT);
        return f;
    }

    @Test
    void serverSendsHeartbeatsAndDropsASilentClient() throws Exception {
        try (Broker broker = new Broker(BrokerSettings.defaults("warren@test", tempDir).withHeartbeat(1));
                AmqpServer server = new AmqpServer(broker, "127.0.0.1", 0)) {
            InetSocketAddress address = server.start();
            try (Socket s = new Socket()) {
                s.setSoTimeout(10_000);
                s.connect(address, 5_000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write(AmqpWire.HEADER_0_9_1);
                out.flush();
                assertEquals(10, nextMethod(in).methodId()); // start
                send(out, new ConnectionStartOk(Map.of(), "PLAIN", LongString.of("\0guest\0guest"), "en_US"));
                AmqpWire.RawFrame tune = nextMethod(in);
                assertEquals(30, tune.methodId());
                send(out, new ConnectionTuneOk(2047, 131072, 1));
                send(out, new ConnectionOpen("/"));
                assertEquals(41, nextMethod(in).methodId()); // open-ok

                AmqpWire.RawFrame hb = AmqpWire.readFrame(in);
                assertEquals(Frame.TYPE_HEARTBEAT, hb.type());
                assertEquals(0, hb.channel());
                assertEquals(0, hb.payload().length);
                // The client never sends anything: dropped after two intervals.
                assertTrue(AmqpWire.readsToEof(in), "server closes a silent client");
            }
        }
    }
}
