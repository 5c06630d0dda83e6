package warren.server.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.Consumer;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameReader;

/**
 * Splits the byte stream into {@link Frame}s with {@link FrameReader}. A malformed frame leaves the
 * stream unparseable: the error goes to {@code onError} once and every later byte is discarded
 * (Netty's BAD_MESSAGE style); no exception ever leaves this handler.
 */
final class AmqpFrameDecoder extends ByteToMessageDecoder {
    private final FrameReader reader;
    private final Consumer<ConnectionException> onError;
    private boolean failed;

    /**
     * @param maxFrameSize the frame-max before tuning (the broker's configured one); 0 = unlimited
     * @param onError      told, on the event loop, of the first frame error
     */
    AmqpFrameDecoder(int maxFrameSize, Consumer<ConnectionException> onError) {
        this.reader = new FrameReader(maxFrameSize);
        this.onError = onError;
    }

    /** The negotiated frame-max (after connection.tune-ok). Call on the event loop. */
    void setMaxFrameSize(int maxFrameSize) {
        reader.setMaxFrameSize(maxFrameSize);
    }

    int maxFrameSize() {
        return reader.maxFrameSize();
    }

    boolean hasFailed() {
        return failed;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        // One frame per call: ByteToMessageDecoder loops, and a frame decoded before an error
        // must reach the session before the error does.
        Frame frame;
        try {
            frame = reader.read(in);
        } catch (ConnectionException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            onError.accept(e);
            return;
        }
        if (frame != null) {
            out.add(frame);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        // The peer closed: every whole frame has been decoded already; a partial one is dropped.
        in.skipBytes(in.readableBytes());
    }
}
