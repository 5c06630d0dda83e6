package warren.cluster.link;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import warren.cluster.security.ClusterCookie;
import warren.core.link.LinkEndpoint;
import warren.core.link.LinkHandler;

/**
 * The inter-node data link over TCP: listens for peers, keeps one outbound connection to every
 * running peer it is told about, authenticates both kinds with the cluster cookie and hands the
 * authenticated connections to the broker's {@link LinkEndpoint} — the ones this node dialled to
 * {@link LinkEndpoint#connected}, the ones peers dialled to {@link LinkEndpoint#accepted}.
 *
 * <p>It owns its two event loop threads ({@code warren-link-N}); every {@link LinkHandler} method of
 * a connection runs on that connection's loop thread. Frames are a 4-byte big-endian length and the
 * payload, at most {@value #MAX_FRAME_BYTES} bytes; a larger one closes the connection.
 */
public final class DataLinkTransport implements AutoCloseable {

    /** The largest frame payload accepted (256 MiB). */
    public static final int MAX_FRAME_BYTES = 256 * 1024 * 1024;
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    private static final int LENGTH_BYTES = 4;
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024);
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final long SHUTDOWN_TIMEOUT_MS = 2_000;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final String nodeName;
    private final LinkEndpoint endpoint;
    private final LinkHandshake handshake;
    private final int maxFrameBytes;
    private final Duration handshakeTimeout;
    private final EventLoopGroup group;
    private final ChannelGroup channels;
    private final Bootstrap dialBootstrap;
    private final Map<String, PeerDialer> dialers = new HashMap<>();
    private Channel serverChannel;
    private boolean closed;

    /**
     * @param nodeName this node's name, as the cluster names it (sent to peers in the handshake)
     * @param cookie   the cluster cookie; peers with another cookie are refused
     * @param endpoint the broker, told about every authenticated connection
     */
    public DataLinkTransport(String nodeName, String cookie, LinkEndpoint endpoint) {
        this(nodeName, cookie, endpoint, MAX_FRAME_BYTES, HANDSHAKE_TIMEOUT);
    }

    /** With other limits, for tests that cross them. */
    DataLinkTransport(String nodeName, String cookie, LinkEndpoint endpoint, int maxFrameBytes,
            Duration handshakeTimeout) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.handshake = new LinkHandshake(ClusterCookie.of(cookie).linkKey());
        this.maxFrameBytes = LinkFrameDecoder.checkedMax(maxFrameBytes);
        this.handshakeTimeout = handshakeTimeout;
        this.group = new MultiThreadIoEventLoopGroup(2, daemonThreads(), NioIoHandler.newFactory());
        this.channels = new DefaultChannelGroup("warren-link", GlobalEventExecutor.INSTANCE, true);
        this.dialBootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS);
    }

    /**
     * Listens for peers' connections.
     *
     * @param port 0 for an ephemeral port
     * @return the address actually bound (the one to advertise to peers)
     * @throws UncheckedIOException if the address cannot be bound
     */
    public synchronized InetSocketAddress start(InetAddress bind, int port) {
        if (closed || serverChannel != null) {
            throw new IllegalStateException(closed ? "the data link transport is closed" : "already listening");
        }
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        addFraming(ch.pipeline()).addLast("handshake",
                                LinkHandshakeHandler.server(handshake, nodeName, handshakeTimeout, endpoint::accepted));
                    }
                })
                .bind(bind, port)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new UncheckedIOException("cannot listen for the data link on " + bind + ":" + port,
                    cause instanceof IOException io ? io : new IOException(cause));
        }
        serverChannel = bound.channel();
        return localAddress();
    }

    /** The listening address, or null before {@link #start}. */
    public synchronized InetSocketAddress localAddress() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * The running peers and their link addresses. Dials the peers not yet connected, closes the
     * connections of peers no longer listed (or listed at another address, which is then dialled),
     * and keeps redialling listed peers whose connection fails. This node's own name is ignored.
     * Cheap when nothing changed.
     */
    public synchronized void peers(Map<String, InetSocketAddress> peers) {
        if (closed) {
            return;
        }
        Map<String, InetSocketAddress> wanted = new HashMap<>(peers);
        wanted.remove(nodeName);
        for (Iterator<PeerDialer> it = dialers.values().iterator(); it.hasNext(); ) {
            PeerDialer dialer = it.next();
            if (!dialer.address().equals(wanted.get(dialer.peer()))) {
                dialer.stop();
                it.remove();
            }
        }
        wanted.forEach((peer, address) -> {
            if (!dialers.containsKey(peer)) {
                PeerDialer dialer = newDialer(peer, Objects.requireNonNull(address, "address of " + peer));
                dialers.put(peer, dialer);
                dialer.start();
            }
        });
    }

    /** Closes every connection (their handlers' onClose run) and stops the event loops. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            dialers.values().forEach(PeerDialer::stop);
            dialers.clear();
            if (serverChannel != null) {
                serverChannel.close();
            }
        }
        boolean onOurLoop = onOurLoop();
        var closing = channels.close();
        var terminating = group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (!onOurLoop) {
            // Shutting down runs the tasks already queued, so the handlers' onClose have run when this returns.
            closing.awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
            terminating.awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        }
    }

    private PeerDialer newDialer(String peer, InetSocketAddress address) {
        return new PeerDialer(peer, address, dialBootstrap, dialer -> new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                channels.add(ch);
                addFraming(ch.pipeline()).addLast("handshake", LinkHandshakeHandler.client(handshake, nodeName, peer,
                        handshakeTimeout, connection -> {
                            dialer.authenticated();
                            return endpoint.connected(connection);
                        }));
            }
        });
    }

    private ChannelPipeline addFraming(ChannelPipeline pipeline) {
        return pipeline
                .addLast("frameDecoder", new LinkFrameDecoder(maxFrameBytes))
                .addLast("framePrepender", new LengthFieldPrepender(LENGTH_BYTES));
    }

    private boolean onOurLoop() {
        for (EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private static ThreadFactory daemonThreads() {
        return task -> {
            Thread thread = new FastThreadLocalThread(task, "warren-link-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String toString() {
        return "DataLinkTransport[" + nodeName + "]";
    }
}
