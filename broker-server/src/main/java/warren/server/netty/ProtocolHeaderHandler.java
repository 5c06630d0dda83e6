package warren.server.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of a connection: waits for the 8-octet protocol header (spec 4.2.2). On
 * {@code AMQP 0 0 9 1} it starts the session and removes itself, handing any bytes that followed
 * the header to the frame decoder. Anything else gets the header we support and the socket closed
 * once it is flushed, as RabbitMQ does.
 */
final class ProtocolHeaderHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolHeaderHandler.class);

    static final byte[] AMQP_0_9_1 = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

    private final Runnable onAccepted;
    private boolean rejected;

    /** @param onAccepted run on the event loop once a valid header has arrived (starts the session) */
    ProtocolHeaderHandler(Runnable onAccepted) {
        this.onAccepted = onAccepted;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (rejected) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < AMQP_0_9_1.length) {
            return;
        }
        byte[] header = new byte[AMQP_0_9_1.length];
        in.readBytes(header);
        if (Arrays.equals(header, AMQP_0_9_1)) {
            // Start first: the session's connection.start must precede anything the remaining bytes cause.
            onAccepted.run();
            // Removing a ByteToMessageDecoder forwards what is left of its buffer to the next handler.
            ctx.pipeline().remove(this);
            return;
        }
        rejected = true;
        in.skipBytes(in.readableBytes());
        LOG.debug("rejecting connection from {}: unsupported protocol header {}", ctx.channel().remoteAddress(),
                describe(header));
        ctx.writeAndFlush(Unpooled.wrappedBuffer(AMQP_0_9_1)).addListener(ChannelFutureListener.CLOSE);
    }

    private static String describe(byte[] header) {
        StringBuilder sb = new StringBuilder();
        for (byte b : header) {
            if (b >= 0x20 && b < 0x7f) {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02X", b & 0xff));
            }
        }
        return sb.toString();
    }
}
