package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import warren.core.amqp.method.BasicAck;
import warren.core.amqp.method.ChannelOpen;

class FrameReaderTest {

    private static ByteBuf rawFrame(int type, int channel, int declaredSize, byte[] payload, int end) {
        return Unpooled.buffer().writeByte(type).writeShort(channel).writeInt(declaredSize).writeBytes(payload)
                .writeByte(end);
    }

    @Test
    void framesFedOneByteAtATimeComeOutWhole() {
        ByteBuf stream = Unpooled.buffer();
        FrameWriter.writeMethod(stream, 1, new ChannelOpen());
        FrameWriter.writeHeartbeat(stream);
        FrameWriter.writeMethod(stream, 7, new BasicAck(99, false));

        FrameReader reader = new FrameReader(131072);
        ByteBuf input = Unpooled.buffer();
        List<Frame> frames = new ArrayList<>();
        while (stream.isReadable()) {
            input.writeByte(stream.readByte());
            int before = input.readerIndex();
            Frame frame = reader.read(input);
            if (frame == null) {
                assertEquals(before, input.readerIndex(), "an incomplete frame consumes nothing");
            } else {
                frames.add(frame);
            }
        }

        assertEquals(3, frames.size());
        assertEquals(0, input.readableBytes());
        assertEquals(Frame.TYPE_METHOD, frames.get(0).type());
        assertEquals(1, frames.get(0).channel());
        assertEquals(new ChannelOpen(), MethodCodec.decode(frames.get(0).payload()));
        assertEquals(Frame.TYPE_HEARTBEAT, frames.get(1).type());
        assertEquals(0, frames.get(1).payload().readableBytes());
        assertEquals(7, frames.get(2).channel());
        assertEquals(new BasicAck(99, false), MethodCodec.decode(frames.get(2).payload()));
        frames.forEach(f -> f.payload().release());
    }

    @Test
    void payloadIsARetainedSliceOfTheInput() {
        ByteBuf input = rawFrame(Frame.TYPE_BODY, 1, 3, new byte[] {1, 2, 3}, Frame.FRAME_END);
        Frame frame = new FrameReader(0).read(input);
        assertEquals(2, input.refCnt());
        assertEquals(3, frame.payload().readableBytes());
        frame.payload().release();
        assertEquals(1, input.refCnt());
    }

    @Test
    void oversizeFrameIsRejectedBeforeItsPayloadArrives() {
        ByteBuf header = Unpooled.buffer().writeByte(Frame.TYPE_BODY).writeShort(1).writeInt(200000 - 8);
        ConnectionException e = assertThrows(ConnectionException.class, () -> new FrameReader(131072).read(header));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
        assertEquals("frame size 200000 exceeds frame_max 131072", e.getMessage());
    }

    @Test
    void frameOfExactlyFrameMaxIsAccepted() {
        byte[] payload = new byte[4096 - Frame.OVERHEAD];
        Frame frame = new FrameReader(4096).read(rawFrame(Frame.TYPE_BODY, 1, payload.length, payload, 0xCE));
        assertNotNull(frame);
        assertThrows(ConnectionException.class, () -> new FrameReader(4095)
                .read(rawFrame(Frame.TYPE_BODY, 1, payload.length, payload, 0xCE)));
    }

    @Test
    void raisingFrameMaxTakesEffectForTheNextFrame() {
        FrameReader reader = new FrameReader(4096);
        byte[] payload = new byte[10000];
        ByteBuf input = rawFrame(Frame.TYPE_BODY, 1, payload.length, payload, 0xCE);
        assertThrows(ConnectionException.class, () -> reader.read(input.duplicate()));
        reader.setMaxFrameSize(131072);
        assertNotNull(reader.read(input));
    }

    @Test
    void zeroFrameMaxMeansUnlimited() {
        byte[] payload = new byte[1 << 20];
        assertNotNull(new FrameReader(0).read(rawFrame(Frame.TYPE_BODY, 1, payload.length, payload, 0xCE)));
    }

    @Test
    void badEndOctetIsAFrameError() {
        ByteBuf input = rawFrame(Frame.TYPE_BODY, 1, 2, new byte[] {1, 2}, 0xAB);
        ConnectionException e = assertThrows(ConnectionException.class, () -> new FrameReader(0).read(input));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
        assertEquals("frame end octet 0xAB not 0xCE", e.getMessage());
    }

    @Test
    void unknownFrameTypeIsAFrameError() {
        ByteBuf input = rawFrame(4, 1, 0, new byte[0], 0xCE);
        ConnectionException e = assertThrows(ConnectionException.class, () -> new FrameReader(0).read(input));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
        assertTrue(e.getMessage().contains("unknown frame type 4"), e.getMessage());
    }

    @Test
    void heartbeatWithAPayloadIsAFrameError() {
        ByteBuf input = rawFrame(Frame.TYPE_HEARTBEAT, 0, 1, new byte[] {0}, 0xCE);
        assertEquals(ReplyCode.FRAME_ERROR,
                assertThrows(ConnectionException.class, () -> new FrameReader(0).read(input)).replyCode());
    }

    @Test
    void lessThanAHeaderReturnsNull() {
        ByteBuf input = Unpooled.buffer().writeByte(1).writeShort(0);
        assertNull(new FrameReader(0).read(input));
        assertEquals(0, input.readerIndex());
    }
}
