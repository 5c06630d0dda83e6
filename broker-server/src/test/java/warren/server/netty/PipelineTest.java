package warren.server.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameWriter;
import warren.core.amqp.ReplyCode;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;

/** The pipeline on an {@link EmbeddedChannel}: deterministic partial reads. */
class PipelineTest {
    @TempDir
    Path tempDir;

    private Broker broker;
    private EmbeddedChannel ch;

    @BeforeEach
    void setUp() {
        broker = new Broker(BrokerSettings.defaults("warren@test", tempDir));
        ch = new EmbeddedChannel(new AmqpChannelInitializer(broker, null));
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
        broker.close();
    }

    private byte[] drainOutbound() {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }

    @Test
    void headerByteAtATime() throws Exception {
        for (int i = 0; i < 7; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {AmqpWire.HEADER_0_9_1[i]}));
            assertNull(ch.readOutbound(), "nothing before the 8th octet");
            assertNotNull(ch.pipeline().get(AmqpChannelInitializer.PROTOCOL_HEADER));
        }
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {AmqpWire.HEADER_0_9_1[7]}));
        assertNull(ch.pipeline().get(AmqpChannelInitializer.PROTOCOL_HEADER), "header handler removed itself");
        AmqpWire.RawFrame start = AmqpWire.parseFrame(drainOutbound());
        assertEquals(Frame.TYPE_METHOD, start.type());
        assertEquals(0, start.channel());
        assertEquals(10, start.classId());
        assertEquals(10, start.methodId());
        assertTrue(ch.isActive());
        ch.checkException();
    }

    @Test
    void wrongHeaderByteAtATimeGetsOursAndClose() throws Exception {
        byte[] bad = AmqpWire.ascii("AMQP\u0001\u0001\u0000\u0009trailing junk");
        for (int i = 0; i < bad.length && ch.isOpen(); i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {bad[i]}));
            if (i < 7) {
                assertNull(ch.readOutbound(), "nothing before the 8th octet");
            }
        }
        ch.runPendingTasks();
        assertArrayEquals(AmqpWire.HEADER_0_9_1, drainOutbound());
        assertFalse(ch.isOpen(), "closed after the flush");
        ch.checkException();
    }

    @Test
    void bytesAfterTheHeaderInTheSameReadReachTheFrameDecoder() throws Exception {
        ByteBuf in = Unpooled.buffer();
        in.writeBytes(AmqpWire.HEADER_0_9_1);
        FrameWriter.writeHeartbeat(in);
        in.writeBytes(new byte[] {9, 0, 0, 0, 0, 0, 0, (byte) 0xCE}); // unknown frame type 9
        ch.writeInbound(in);
        byte[] out = drainOutbound();
        var stream = new java.io.ByteArrayInputStream(out);
        AmqpWire.RawFrame start = AmqpWire.readFrame(stream);
        assertEquals(10, start.methodId());
        AmqpWire.RawFrame close = AmqpWire.readFrame(stream);
        assertEquals(50, close.methodId());
        assertEquals(ReplyCode.FRAME_ERROR.code(), close.replyCode());
        ch.checkException();
    }

    @Test
    void frameDecoderReportsTheFirstErrorOnceThenDiscards() {
        List<ConnectionException> errors = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        AmqpFrameDecoder decoder = new AmqpFrameDecoder(4096, errors::add);
        EmbeddedChannel dc = new EmbeddedChannel(decoder);
        ByteBuf in = Unpooled.buffer();
        FrameWriter.writeHeartbeat(in);
        in.writeBytes(new byte[] {1, 0, 0, 0, 0, 0x10, 0}); // method frame of 4096 octets: 4104 > 4096
        dc.writeInbound(in);
        dc.writeInbound(Unpooled.wrappedBuffer(new byte[10_000]));
        FrameWriter.writeHeartbeat(in = Unpooled.buffer());
        dc.writeInbound(in);
        Object o;
        while ((o = dc.readInbound()) != null) {
            frames.add((Frame) o);
        }
        assertEquals(1, frames.size(), "the heartbeat before the bad frame only");
        assertEquals(Frame.TYPE_HEARTBEAT, frames.get(0).type());
        frames.forEach(f -> f.payload().release());
        assertEquals(1, errors.size());
        assertSame(ReplyCode.FRAME_ERROR, errors.get(0).replyCode());
        assertTrue(decoder.hasFailed());
        dc.checkException();
        assertFalse(dc.finish());
    }

    @Test
    void frameMaxFollowsTuning() {
        AmqpFrameDecoder decoder = new AmqpFrameDecoder(131072, e -> { });
        assertEquals(131072, decoder.maxFrameSize());
        decoder.setMaxFrameSize(8192);
        assertEquals(8192, decoder.maxFrameSize());
    }
}
