package warren.cluster.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LinkFrameDecoderTest {

    private static final int LIMIT = 64 * 1024;

    private final LinkFrameDecoder decoder = new LinkFrameDecoder(LIMIT);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    @AfterEach
    void nothingLeftOver() {
        channel.finishAndReleaseAll();
    }

    @Test
    void decodesFrameSplitAcrossReadsByteByByte() {
        ByteBuf wire = Unpooled.buffer().writeInt(5).writeBytes("hello".getBytes(StandardCharsets.US_ASCII))
                .writeInt(0);

        while (wire.isReadable()) {
            channel.writeInbound(wire.readRetainedSlice(1));
        }
        wire.release();

        assertFrame("hello", channel.readInbound());
        assertFrame("", channel.readInbound());
        assertNull(channel.readInbound());
    }

    @Test
    void capsFramesAtTheHandshakeSizeUntilAuthenticated() {
        ByteBuf wire = Unpooled.buffer().writeInt(LinkHandshake.MAX_MESSAGE_BYTES + 1);

        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> channel.writeInbound(wire));
        assertTrue(e.getMessage().contains("before authentication"), e.getMessage());
    }

    @Test
    void acceptsFramesUpToTheLimitAfterAuthenticationAndRejectsTheNextByte() {
        decoder.authenticated();
        channel.writeInbound(Unpooled.buffer().writeInt(LIMIT).writeZero(LIMIT));
        ByteBuf frame = channel.readInbound();
        assertEquals(LIMIT, frame.readableBytes());
        frame.release();

        TooLongFrameException e = assertThrows(TooLongFrameException.class,
                () -> channel.writeInbound(Unpooled.buffer().writeInt(LIMIT + 1).writeZero(100)));
        assertTrue(e.getMessage().contains((LIMIT + 1) + " bytes exceeds the limit of " + LIMIT), e.getMessage());
        // Whatever follows the oversized frame is discarded, not parsed as frames.
        assertFalse(channel.writeInbound(Unpooled.buffer().writeInt(1).writeByte(1)));
    }

    @Test
    void limitsBelowTheHandshakeSizeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LinkFrameDecoder(16));
    }

    private static void assertFrame(String expected, ByteBuf frame) {
        try {
            assertEquals(expected, frame.toString(StandardCharsets.US_ASCII));
        } finally {
            frame.release();
        }
    }
}
