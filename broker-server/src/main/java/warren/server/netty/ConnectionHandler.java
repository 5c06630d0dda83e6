package warren.server.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.Frame;
import warren.core.broker.Broker;
import warren.core.session.ConnectionIo;
import warren.core.session.ConnectionSession;

/**
 * Last handler of a connection's pipeline: owns its {@link ConnectionSession}, feeds it frames and
 * serves as its {@link ConnectionIo}. Writes are queued and flushed once per read batch
 * ({@link #channelReadComplete}) or when the session asks.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter implements ConnectionIo {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);
    static final String HEARTBEAT = "heartbeat";

    private final Channel channel;
    private final AmqpFrameDecoder decoder;
    private final ConnectionSession session;
    private volatile ChannelHandlerContext ctx;
    private InetSocketAddress peer;
    private InetSocketAddress local;
    private boolean headerReceived;

    ConnectionHandler(Broker broker, Channel channel) {
        this.channel = channel;
        this.decoder = new AmqpFrameDecoder(broker.settings().frameMax(), this::onFrameError);
        this.session = new ConnectionSession(broker, this);
        captureAddresses();
    }

    AmqpFrameDecoder decoder() {
        return decoder;
    }

    ConnectionSession session() {
        return session;
    }

    /** A valid protocol header arrived (called by {@link ProtocolHeaderHandler} on the event loop). */
    void start() {
        headerReceived = true;
        session.start();
    }

    /**
     * handshake_timeout: the connection is still not open (connection.open-ok not sent). Logged as
     * RabbitMQ logs it: {@code {handshake_timeout,handshake}} while the protocol header is awaited,
     * {@code {handshake_timeout,frame_header}} once the handshake's frames are.
     */
    void onHandshakeTimeout() {
        if (session.vhost() != null || !channel.isOpen()) {
            return;
        }
        LOG.error("closing AMQP connection {}: {handshake_timeout,{}}", session.name(),
                headerReceived ? "frame_header" : "handshake");
        session.terminate();
        channel.close();
    }

    private void onFrameError(ConnectionException e) {
        LOG.debug("frame error from {}: {}", channel.remoteAddress(), e.getMessage());
        session.onFrameError(e);
    }

    // ------------------------------------------------------------------ inbound events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        captureAddresses();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Frame frame) {
            session.onFrame(frame); // releases the payload
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        session.terminate();
        super.channelInactive(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            session.onWritable();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("connection {} I/O error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("connection {} error, closing it", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** The heartbeat handler saw nothing from the peer for two intervals. */
    void onMissedHeartbeats(int seconds) {
        LOG.warn("closing AMQP connection {}: missed heartbeats from client, timeout: {}s",
                channel.remoteAddress(), seconds);
        session.terminate();
        channel.close();
    }

    // ------------------------------------------------------------------ ConnectionIo

    @Override
    public ByteBufAllocator alloc() {
        return channel.alloc();
    }

    @Override
    public void write(ByteBuf frames) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            frames.release();
            return;
        }
        c.write(frames, c.voidPromise());
    }

    @Override
    public void flush() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.flush();
        }
    }

    @Override
    public void closeAfterFlush() {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            channel.close();
            return;
        }
        // The listener closes whether the write succeeded or not (e.g. the socket is already gone).
        c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void execute(Runnable task) {
        // Always enqueue, even on the loop itself: the caller relies on the task running after it returns.
        channel.eventLoop().execute(task);
    }

    @Override
    public void executeLater(Runnable task) {
        // Scheduled tasks are taken in only at the start of the loop's next pass of tasks, after its I/O;
        // an executed one would run in the current pass, before any socket is read.
        try {
            channel.eventLoop().schedule(task, 0, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("event loop shut down; a task of connection {} dropped", channel, e);
        }
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        channel.config().setAutoRead(reading);
    }

    @Override
    public void startHeartbeats(int seconds) {
        if (seconds <= 0) {
            return;
        }
        if (channel.pipeline().get(HEARTBEAT) != null) {
            channel.pipeline().remove(HEARTBEAT);
        }
        channel.pipeline().addFirst(HEARTBEAT, new HeartbeatHandler(seconds, this::onMissedHeartbeats));
    }

    @Override
    public void setMaxFrameSize(int frameMax) {
        decoder.setMaxFrameSize(frameMax);
    }

    @Override
    public String peerHost() {
        return peer == null ? "" : host(peer);
    }

    @Override
    public int peerPort() {
        return peer == null ? 0 : peer.getPort();
    }

    @Override
    public boolean peerIsLoopback() {
        return peer != null && peer.getAddress() != null && peer.getAddress().isLoopbackAddress();
    }

    @Override
    public String localHost() {
        return local == null ? "" : host(local);
    }

    @Override
    public int localPort() {
        return local == null ? 0 : local.getPort();
    }

    private void captureAddresses() {
        if (peer == null) {
            peer = inet(channel.remoteAddress());
        }
        if (local == null) {
            local = inet(channel.localAddress());
        }
    }

    private static InetSocketAddress inet(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i : null;
    }

    private static String host(InetSocketAddress a) {
        return a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    }
}
