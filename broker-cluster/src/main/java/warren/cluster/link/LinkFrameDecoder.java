package warren.cluster.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits the stream into frames of a 4-byte big-endian length followed by that many bytes (the
 * length is stripped). Until {@link #authenticated()} a frame may be at most
 * {@link LinkHandshake#MAX_MESSAGE_BYTES}: a stranger who announces a 256 MiB frame must not make us
 * buffer it before proving the cookie. A frame over the limit raises {@link TooLongFrameException}
 * once (the handler after us closes the connection) and everything after it is discarded.
 */
final class LinkFrameDecoder extends LengthFieldBasedFrameDecoder {

    private static final int LENGTH_BYTES = 4;

    private final int maxFrameBytes;
    private boolean authenticated;
    private boolean tooLong;

    /** @param maxFrameBytes the largest payload accepted after authentication */
    LinkFrameDecoder(int maxFrameBytes) {
        // The limit the parent checks includes the length field itself.
        super(checkedMax(maxFrameBytes) + LENGTH_BYTES, 0, LENGTH_BYTES, 0, LENGTH_BYTES);
        this.maxFrameBytes = maxFrameBytes;
    }

    static int checkedMax(int maxFrameBytes) {
        if (maxFrameBytes < LinkHandshake.MAX_MESSAGE_BYTES || maxFrameBytes > Integer.MAX_VALUE - LENGTH_BYTES) {
            throw new IllegalArgumentException("max frame of " + maxFrameBytes + " bytes is out of range");
        }
        return maxFrameBytes;
    }

    /** The handshake succeeded: frames up to the full limit are accepted from now on. */
    void authenticated() {
        authenticated = true;
    }

    int maxFrameBytes() {
        return authenticated ? maxFrameBytes : LinkHandshake.MAX_MESSAGE_BYTES;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (tooLong) {
            in.skipBytes(in.readableBytes()); // the connection is being closed; ignore the rest
            return null;
        }
        if (in.readableBytes() >= LENGTH_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            int max = maxFrameBytes();
            if (length > max) {
                tooLong = true;
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("frame of " + length + " bytes exceeds the limit of " + max + " bytes"
                        + (authenticated ? "" : " before authentication"));
            }
        }
        return super.decode(ctx, in);
    }
}
