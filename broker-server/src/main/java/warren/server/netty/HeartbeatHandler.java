package warren.server.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameWriter;

/**
 * AMQP heartbeats (spec 4.2.7): a heartbeat frame after {@code seconds} without writing, and the
 * peer dropped after two intervals without reading anything from it (not counted while the
 * connection's socket is not being read: flow control / memory alarm).
 */
final class HeartbeatHandler extends IdleStateHandler {
    private final int seconds;
    private final IntConsumer onTimeout;

    HeartbeatHandler(int seconds, IntConsumer onTimeout) {
        super(2L * seconds, seconds, 0, TimeUnit.SECONDS);
        this.seconds = seconds;
        this.onTimeout = onTimeout;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == IdleState.WRITER_IDLE) {
            ByteBuf buf = ctx.alloc().buffer(Frame.OVERHEAD);
            FrameWriter.writeHeartbeat(buf);
            ctx.writeAndFlush(buf, ctx.voidPromise());
        } else if (evt.state() == IdleState.READER_IDLE && ctx.channel().config().isAutoRead()) {
            // Not while the socket is deliberately left unread (a blocked publisher, flow control):
            // the peer's heartbeats wait in the socket then, as RabbitMQ pauses its monitor.
            onTimeout.accept(seconds);
        }
    }
}
