package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import warren.core.amqp.method.BasicConsumeOk;
import warren.core.amqp.method.BasicDeliver;

class FrameWriterTest {
    private static final BasicDeliver DELIVER = new BasicDeliver("ctag", 17, true, "ex", "rk");

    @Test
    void largeBodyIsSplitIntoFramesNoBiggerThanFrameMaxAndReassembles() {
        byte[] body = new byte[300 * 1024];
        new Random(42).nextBytes(body);
        BasicProperties props = BasicProperties.EMPTY.withHeaders(Map.of("h", 1)).withDeliveryMode(2);
        byte[] raw = ContentHeader.encodeProperties(props);
        ByteBuf out = Unpooled.buffer();

        FrameWriter.writeContent(out, 3, DELIVER, raw, body, 131072);

        FrameReader reader = new FrameReader(131072);
        CommandAssembler assembler = new CommandAssembler(0);
        List<Integer> frameSizes = new ArrayList<>();
        Command command = null;
        while (out.isReadable()) {
            assertNull(command, "nothing after the last body frame");
            Frame frame = reader.read(out);
            frameSizes.add(frame.payload().readableBytes() + Frame.OVERHEAD);
            assertEquals(3, frame.channel());
            try {
                command = assembler.feed(frame);
            } finally {
                frame.payload().release();
            }
        }

        assertEquals(DELIVER, command.method());
        assertEquals(props, command.header().properties());
        assertArrayEquals(raw, command.header().rawProperties());
        assertArrayEquals(body, command.body());
        // method, header, then 131064 + 131064 + 45072 octets of body
        assertEquals(5, frameSizes.size());
        assertEquals(List.of(131072, 131072, 300 * 1024 - 2 * 131064 + 8), frameSizes.subList(2, 5));
        assertTrue(frameSizes.stream().allMatch(size -> size <= 131072));
    }

    @Test
    void emptyBodyWritesNoBodyFrame() {
        ByteBuf out = Unpooled.buffer();
        FrameWriter.writeContent(out, 1, DELIVER, new byte[] {0, 0}, new byte[0], 4096);
        FrameReader reader = new FrameReader(4096);
        assertEquals(Frame.TYPE_METHOD, reader.read(out).type());
        Frame header = reader.read(out);
        assertEquals(Frame.TYPE_HEADER, header.type());
        assertEquals(0, out.readableBytes());
        assertEquals(0, ContentHeader.read(header.payload()).bodySize());
    }

    @Test
    void unlimitedFrameMaxPutsTheWholeBodyInOneFrame() {
        ByteBuf out = Unpooled.buffer();
        FrameWriter.writeContent(out, 1, DELIVER, new byte[] {0, 0}, new byte[200_000], 0);
        FrameReader reader = new FrameReader(0);
        reader.read(out);
        reader.read(out);
        assertEquals(200_000, reader.read(out).payload().readableBytes());
        assertEquals(0, out.readableBytes());
    }

    @Test
    void heartbeatIsEightFixedOctets() {
        ByteBuf out = Unpooled.buffer();
        FrameWriter.writeHeartbeat(out);
        assertEquals("080000" + "00000000" + "ce", ByteBufUtil.hexDump(out));
    }

    @Test
    void methodFrameSizeFieldIsBackfilled() {
        ByteBuf out = Unpooled.buffer().writeByte(0x55); // unrelated preceding octet
        FrameWriter.writeMethod(out, 258, new BasicConsumeOk("t"));
        assertEquals("55" + "01" + "0102" + "00000006" + "003c0015" + "0174" + "ce", ByteBufUtil.hexDump(out));
    }

    @Test
    void unencodableMethodLeavesNothingWritten() {
        ByteBuf out = Unpooled.buffer();
        // a field table value with no AMQP type cannot be encoded
        assertThrows(IllegalArgumentException.class, () -> FrameWriter.writeMethod(out, 1,
                new warren.core.amqp.method.QueueDeclare("q", false, false, false, false, false,
                        java.util.Map.of("x", new Object()))));
        assertEquals(0, out.writerIndex());
    }
}
