package warren.cluster.link;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.link.LinkConnection;
import warren.core.link.LinkHandler;

/**
 * One authenticated link connection: the {@link LinkConnection} the broker writes to, and the last
 * handler of the channel's pipeline, which hands whole frames to the broker's {@link LinkHandler}.
 *
 * <p>Batching: nothing is flushed per frame. A frame sent on the channel's event loop is written at
 * once and a single flush is queued behind the current loop turn (a read batch, or other tasks); a
 * frame sent from any other thread goes to a lock-free queue, and one drain task per batch writes
 * everything queued and flushes once. Frames sent by one thread therefore stay in order; frames of
 * different threads interleave. A frame sent on the event loop first writes whatever other threads
 * queued before it, so a frame never overtakes one that was sent before it (in happens-before order)
 * from another thread.
 */
final class NettyLinkConnection extends ChannelInboundHandlerAdapter implements LinkConnection {
    private static final Logger LOG = LoggerFactory.getLogger(NettyLinkConnection.class);

    /** Frames one drain task writes before it flushes and yields the loop to other channels. */
    private static final int DRAIN_BATCH = 4096;

    private final Channel channel;
    private final String peer;
    /** "to node x (address)" or "from node x (address)", for the log lines. */
    private final String description;
    private final Queue<ByteBuf> queued = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final Runnable flushTask = this::scheduledFlush;
    private volatile boolean closed;

    // Confined to the event loop.
    private boolean flushScheduled;
    private LinkHandler handler;
    private boolean closeReported;

    /** @param outbound true if this node dialled (the link "to" the peer), false if the peer did */
    NettyLinkConnection(Channel channel, String peer, boolean outbound) {
        this.channel = channel;
        this.peer = peer;
        this.description = (outbound ? "to" : "from") + " node " + peer + " (" + channel.remoteAddress() + ")";
    }

    /** Starts delivering frames to {@code handler}; called once, on the event loop, right after authentication. */
    void bind(LinkHandler handler) {
        this.handler = handler;
        LOG.info("Data link {} up", description);
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public void send(ByteBuf frame) {
        if (closed) {
            frame.release();
            return;
        }
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            writeQueued(Integer.MAX_VALUE);
            write(frame);
            if (!flushScheduled) {
                flushScheduled = true;
                loop.execute(flushTask);
            }
            return;
        }
        queued.add(frame);
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                loop.execute(drainTask);
            } catch (RejectedExecutionException e) {
                // The event loop is gone (transport closed): nobody will ever write these.
                releaseQueued();
            }
        }
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void setAutoRead(boolean read) {
        channel.config().setAutoRead(read);
    }

    @Override
    public boolean isOpen() {
        return !closed && channel.isActive();
    }

    @Override
    public void close() {
        closed = true;
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (!closed && handler != null) {
                handler.onFrame(frame);
            }
        } catch (RuntimeException e) {
            LOG.error("Data link {}: the frame handler failed; closing the link", description, e);
            close();
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Null while the endpoint is still being told about this connection (and writes from there).
        if (handler != null) {
            handler.onWritabilityChanged(channel.isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        releaseQueued();
        if (handler != null && !closeReported) {
            closeReported = true;
            LOG.info("Data link {} down", description);
            try {
                handler.onClose();
            } catch (RuntimeException e) {
                LOG.error("Data link {}: the close handler failed", description, e);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() instanceof TooLongFrameException ? cause.getCause() : cause;
        if (root instanceof TooLongFrameException) {
            LOG.warn("Data link {}: {}; closing the link", description, root.getMessage());
        } else if (root instanceof IOException) {
            LOG.debug("Data link {}: {}", description, root.toString());
        } else {
            LOG.warn("Data link {}: unexpected error; closing the link", description, root);
        }
        close();
    }

    @Override
    public String toString() {
        return "LinkConnection[" + description + "]";
    }

    private void write(ByteBuf frame) {
        if (closed) {
            frame.release();
        } else {
            channel.write(frame, channel.voidPromise());
        }
    }

    private void drain() {
        // Cleared before polling, so a frame queued after our last poll schedules a new drain.
        drainScheduled.set(false);
        writeQueued(DRAIN_BATCH);
        channel.flush();
        if (!queued.isEmpty() && drainScheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(drainTask);
        }
    }

    private void writeQueued(int limit) {
        ByteBuf frame;
        for (int written = 0; written < limit && (frame = queued.poll()) != null; written++) {
            write(frame);
        }
    }

    private void scheduledFlush() {
        flushScheduled = false;
        channel.flush();
    }

    private void releaseQueued() {
        ByteBuf frame;
        while ((frame = queued.poll()) != null) {
            frame.release();
        }
    }
}
