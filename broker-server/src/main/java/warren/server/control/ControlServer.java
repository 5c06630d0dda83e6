package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.broker.AdminException;

/**
 * The warrenctl endpoint of a node: a TCP listener speaking {@link ControlProtocol} on its own
 * Netty event loop (one thread, non-blocking), so any number of connections cost no thread each.
 * Before a peer has answered the cookie challenge it may send one message of at most
 * {@link ControlProtocol#MAX_PRE_AUTH_MESSAGE} bytes, read in fixed 4 KiB slices, within
 * {@link #PRE_AUTH_TIMEOUT_MS}; anything more, later or different closes the connection. A wrong
 * answer is refused, logged with the peer address, and the connection closed. Authenticated
 * requests run one at a time per connection on a command pool (commands may block: start_app,
 * await_startup), never on the event loop; reading pauses while one runs.
 */
public final class ControlServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** How long a peer has to answer the cookie challenge ({@code -Dwarren.ctl.auth.timeout.ms}). */
    static final int PRE_AUTH_TIMEOUT_MS = Integer.getInteger("warren.ctl.auth.timeout.ms", 3_000);
    private static final int IDLE_TIMEOUT_SECONDS = 120;
    private static final int READ_SLICE = 4096;
    /** How long {@link #close()} lets replies already computed (a boot failure for await_startup) go out. */
    private static final long DRAIN_MILLIS = 2_000;

    private final String nodeName;
    private final String cookie;
    private final ControlHandler handler;
    private final ExecutorService commands;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private NioEventLoopGroup group;
    private Channel listener;
    private volatile boolean closed;

    public ControlServer(String nodeName, String cookie, ControlHandler handler) {
        this.nodeName = nodeName;
        this.cookie = cookie;
        this.handler = handler;
        AtomicInteger n = new AtomicInteger();
        this.commands = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "warren-control-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds to {@code host:port} (port 0 picks a free port) and returns the bound address. */
    public InetSocketAddress start(String host, int port) throws IOException {
        group = new NioEventLoopGroup(1, new DefaultThreadFactory("warren-control-io", true));
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_SLICE))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("session", new Session());
                    }
                });
        try {
            listener = b.bind(new InetSocketAddress(host, port)).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("control listener for node " + nodeName + " could not bind " + host + ":" + port
                    + " (" + e.getMessage() + "); is another node using it? Set WARREN_CTL_PORT to a free port", e);
        }
        return (InetSocketAddress) listener.localAddress();
    }

    /**
     * One connection: a frame decoder whose size limit is the pre-auth bound until the cookie
     * challenge succeeds, then the protocol's maximum; the session state lives here, on the event loop.
     */
    private final class Session extends ByteToMessageDecoder {
        private final String challenge = ControlProtocol.newChallenge();
        private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
        private boolean authenticated;
        private boolean busy;
        private String peer;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            peer = String.valueOf(ctx.channel().remoteAddress());
            Map<String, Object> hello = new LinkedHashMap<>();
            hello.put("protocol", ControlProtocol.PROTOCOL);
            hello.put("node", nodeName);
            hello.put("challenge", challenge);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ControlProtocol.encode(hello)));
            ctx.executor().schedule(() -> {
                if (!authenticated && ctx.channel().isActive()) {
                    LOG.debug("warrenctl connection from {} closed: no answer to the cookie challenge within {} ms",
                            peer, PRE_AUTH_TIMEOUT_MS);
                    ctx.close();
                }
            }, PRE_AUTH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (in.readableBytes() >= 4 && ctx.channel().isActive()) {
                int length = in.getInt(in.readerIndex());
                int limit = authenticated ? ControlProtocol.MAX_MESSAGE : ControlProtocol.MAX_PRE_AUTH_MESSAGE;
                if (length < 0 || length > limit) {
                    if (authenticated) {
                        LOG.warn("control connection from {} closed: message of {} bytes (max {})", peer, length, limit);
                    } else {
                        LOG.debug("warrenctl connection from {} refused: {} bytes announced before the cookie "
                                + "challenge was answered (max {})", peer, length, limit);
                    }
                    in.skipBytes(in.readableBytes());
                    ctx.close();
                    return;
                }
                if (in.readableBytes() < 4 + length) {
                    return;
                }
                in.skipBytes(4);
                byte[] bytes = new byte[length];
                in.readBytes(bytes);
                if (authenticated) {
                    pending.add(bytes);
                    next(ctx);
                } else if (!authenticate(ctx, bytes)) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
            }
        }

        private boolean authenticate(ChannelHandlerContext ctx, byte[] bytes) {
            JsonNode response;
            try {
                response = ControlProtocol.decode(bytes).get("response");
            } catch (IOException e) {
                response = null;
            }
            if (!ControlProtocol.verify(cookie, challenge, response == null ? null : response.asText())) {
                LOG.warn("warrenctl connection from {} refused: cookie challenge failed (the client's cookie does not "
                        + "match this node's)", peer);
                ctx.writeAndFlush(Unpooled.wrappedBuffer(ControlProtocol.encode(Map.of("ok", false,
                        "error", "auth_failed", "message", "cookie challenge failed: the cookie does not match node "
                                + nodeName + "'s")))).addListener(f -> ctx.close());
                ctx.channel().config().setAutoRead(false);
                return false;
            }
            authenticated = true;
            ctx.pipeline().addFirst("idle", new IdleStateHandler(IDLE_TIMEOUT_SECONDS, 0, 0));
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ControlProtocol.encode(Map.of("ok", true, "node", nodeName))));
            return true;
        }

        /** Runs the next queued request on the command pool; the reply is written before the one after starts. */
        private void next(ChannelHandlerContext ctx) {
            if (busy || pending.isEmpty()) {
                return;
            }
            byte[] request = pending.poll();
            busy = true;
            ctx.channel().config().setAutoRead(false);
            inFlight.incrementAndGet();
            try {
                commands.execute(() -> {
                    byte[] reply = ControlProtocol.encode(execute(request));
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(reply)).addListener(f -> {
                        inFlight.decrementAndGet();
                        busy = false;
                        ctx.channel().config().setAutoRead(true);
                        next(ctx);
                    });
                });
            } catch (RejectedExecutionException e) {
                inFlight.decrementAndGet();
                ctx.close();
            }
        }

        /** No read of its own while a request runs or after a refusal (the decoder would ask for one). */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && !busy) {
                LOG.debug("control connection from {} idle for {} s; closing", peer, IDLE_TIMEOUT_SECONDS);
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("control connection from {} failed: {}", peer, cause.toString());
            ctx.close();
        }
    }

    private Map<String, Object> execute(byte[] bytes) {
        Map<String, Object> reply = new LinkedHashMap<>();
        JsonNode request;
        try {
            request = ControlProtocol.decode(bytes);
        } catch (IOException e) {
            request = NullNode.getInstance();
        }
        JsonNode command = request.get("command");
        if (command == null || !command.isTextual()) {
            reply.put("ok", false);
            reply.put("error", "bad_request");
            reply.put("message", "request has no \"command\"");
            return reply;
        }
        JsonNode args = request.has("args") ? request.get("args") : NullNode.getInstance();
        try {
            Object result = handler.handle(command.asText(), args);
            reply.put("ok", true);
            reply.put("result", result);
        } catch (AdminException e) {
            reply.put("ok", false);
            reply.put("error", e.kind());
            reply.put("message", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("control command {} failed", command.asText(), e);
            reply.put("ok", false);
            reply.put("error", "internal_error");
            reply.put("message", String.valueOf(e));
        }
        return reply;
    }

    /**
     * Stops accepting, lets replies already being computed go out (bounded; a boot failure reaches
     * a waiting await_startup this way), then closes every connection.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener != null) {
            listener.close().awaitUninterruptibly(DRAIN_MILLIS);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        channels.close().awaitUninterruptibly(DRAIN_MILLIS);
        commands.shutdownNow();
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
