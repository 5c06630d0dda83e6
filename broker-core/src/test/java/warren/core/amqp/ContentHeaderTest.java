package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContentHeaderTest {
    static final BasicProperties ALL = new BasicProperties("application/json", "gzip",
            Map.of("x-count", 3, "x-nested", Map.of("a", LongString.of("b"))), 2, 9, "corr", "amq.rabbitmq.reply-to",
            "60000", "msg-1", new Date(1_700_000_000_000L), "kind", "guest", "app", "cluster");

    private static BasicProperties roundTrip(BasicProperties properties) {
        ByteBuf buf = Unpooled.buffer();
        properties.write(buf);
        BasicProperties decoded = BasicProperties.read(buf);
        assertEquals(0, buf.readableBytes());
        return decoded;
    }

    @Test
    void allFourteenPropertiesRoundTrip() {
        assertEquals(ALL, roundTrip(ALL));
    }

    @Test
    void allPropertiesSetUseFlagBitsFifteenDownToTwo() {
        assertEquals(0xFFFC, Unpooled.wrappedBuffer(ContentHeader.encodeProperties(ALL)).readUnsignedShort());
    }

    @Test
    void noPropertiesIsJustAZeroFlagWord() {
        assertArrayEquals(new byte[] {0, 0}, ContentHeader.encodeProperties(BasicProperties.EMPTY));
        assertEquals(BasicProperties.EMPTY, roundTrip(BasicProperties.EMPTY));
    }

    @Test
    void singlePropertiesLandInTheirOwnFlagBit() {
        ByteBuf buf = Unpooled.wrappedBuffer(ContentHeader.encodeProperties(BasicProperties.EMPTY.withDeliveryMode(2)));
        assertEquals("100002", ByteBufUtil.hexDump(buf));
        buf = Unpooled.wrappedBuffer(ContentHeader.encodeProperties(BasicProperties.EMPTY.withExpiration("5")));
        assertEquals("01000135", ByteBufUtil.hexDump(buf));
    }

    @Test
    void copyMethodsChangeOnlyTheirProperty() {
        BasicProperties changed = ALL.withHeaders(null).withExpiration(null).withDeliveryMode(1);
        assertNull(changed.headers());
        assertNull(changed.expiration());
        assertEquals(1, changed.deliveryMode());
        assertEquals(ALL.contentType(), changed.contentType());
        assertEquals(ALL.clusterId(), changed.clusterId());
    }

    @Test
    void continuationFlagWordsAreSkipped() {
        ByteBuf buf = Unpooled.buffer().writeShort(0x8001).writeShort(0x0000).writeByte(4).writeBytes("text".getBytes());
        assertEquals("text", BasicProperties.read(buf).contentType());
    }

    @Test
    void headerKeepsThePropertyOctetsExactly() {
        byte[] raw = ContentHeader.encodeProperties(ALL);
        ByteBuf buf = Unpooled.buffer();
        ContentHeader.write(buf, 60, 12345, raw);

        ContentHeader header = ContentHeader.read(buf);

        assertEquals(60, header.classId());
        assertEquals(12345, header.bodySize());
        assertEquals(ALL, header.properties());
        assertArrayEquals(raw, header.rawProperties());
        assertEquals(0, buf.readableBytes());
        ByteBuf again = Unpooled.buffer();
        ContentHeader.write(again, header.classId(), header.bodySize(), header.rawProperties());
        assertEquals(ByteBufUtil.hexDump(Unpooled.buffer().writeShort(60).writeShort(0).writeLong(12345)
                .writeBytes(raw)), ByteBufUtil.hexDump(again));
    }

    @Test
    void nonZeroWeightIsAnUnexpectedFrame() {
        ByteBuf buf = Unpooled.buffer().writeShort(60).writeShort(1).writeLong(0).writeShort(0);
        assertEquals(ReplyCode.UNEXPECTED_FRAME,
                assertThrows(ConnectionException.class, () -> ContentHeader.read(buf)).replyCode());
    }

    @Test
    void truncatedPropertiesAreASyntaxError() {
        byte[] raw = ContentHeader.encodeProperties(ALL);
        ByteBuf buf = Unpooled.buffer();
        ContentHeader.write(buf, 60, 1, raw);
        ByteBuf truncated = buf.slice(0, buf.readableBytes() - 3);
        assertEquals(ReplyCode.SYNTAX_ERROR,
                assertThrows(ConnectionException.class, () -> ContentHeader.read(truncated)).replyCode());
    }

    @Test
    void headerShorterThanItsFixedPartIsAFrameError() {
        ByteBuf buf = Unpooled.buffer().writeShort(60).writeShort(0).writeInt(0);
        assertEquals(ReplyCode.FRAME_ERROR,
                assertThrows(ConnectionException.class, () -> ContentHeader.read(buf)).replyCode());
    }
}
