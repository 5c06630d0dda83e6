package warren.server.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.broker.Broker;
import warren.server.config.ConfigError;
import warren.server.config.Listener;

/**
 * The AMQP 0-9-1 listener: a Netty ServerBootstrap bridging sockets to core sessions.
 *
 * <p>The daemon creates {@link EventLoops} first, builds the broker with
 * {@link EventLoops#queueExecutors()}, then passes both here; the 3-argument constructor creates
 * (and on {@link #close()} shuts down) loops of its own.
 */
public final class AmqpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AmqpServer.class);
    static final int LOW_WATER_MARK = 256 * 1024;
    static final int HIGH_WATER_MARK = 1024 * 1024;
    /** RabbitMQ's {@code handshake_timeout} default. */
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

    private final Broker broker;
    private final String host;
    private final int port;
    private final EventLoops loops;
    private final boolean ownsLoops;
    private final ChannelGroup connections = new DefaultChannelGroup("amqp-connections", GlobalEventExecutor.INSTANCE);
    private volatile Channel serverChannel;
    private volatile boolean closed;
    private int connectionMax = Integer.MAX_VALUE;
    private long handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS;

    public AmqpServer(Broker broker, String host, int port) {
        this(broker, host, port, EventLoops.create(), true);
    }

    /** Uses (and does not close) {@code loops}, the ones the broker's queues run on. */
    public AmqpServer(Broker broker, String host, int port, EventLoops loops) {
        this(broker, host, port, loops, false);
    }

    private AmqpServer(Broker broker, String host, int port, EventLoops loops, boolean ownsLoops) {
        this.broker = broker;
        this.host = host;
        this.port = port;
        this.loops = loops;
        this.ownsLoops = ownsLoops;
    }

    /** Serial executors for queues: the worker event loops, round-robin. */
    public Supplier<Executor> queueExecutors() {
        return loops.queueExecutors();
    }

    public EventLoops eventLoops() {
        return loops;
    }

    /**
     * Connection-level limits; call before {@link #start()}.
     *
     * @param connectionMax      most AMQP connections at once ({@code connection_max}); Integer.MAX_VALUE: no limit
     * @param handshakeTimeoutMs a connection not open (protocol header through connection.open-ok) this long
     *                           after it was accepted is closed ({@code handshake_timeout})
     */
    public AmqpServer limits(int connectionMax, long handshakeTimeoutMs) {
        this.connectionMax = connectionMax;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
        return this;
    }

    /** Binds and returns the bound address (port 0 picks a free port). */
    public InetSocketAddress start() throws InterruptedException {
        if (closed) {
            throw new IllegalStateException("server closed");
        }
        if (serverChannel != null) {
            throw new IllegalStateException("server already started");
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.boss(), loops.workers())
                .channel(loops.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .handler(new AcceptGate(connectionMax, FdReserve.forThisProcess()))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(LOW_WATER_MARK, HIGH_WATER_MARK))
                .childHandler(new AmqpChannelInitializer(broker, connections, handshakeTimeoutMs));
        InetSocketAddress bindTo = address(host, port);
        Channel ch;
        try {
            ch = b.bind(bindTo).sync().channel();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
            throw new ConfigError(cannotListen(host, port, e), e);
        }
        serverChannel = ch;
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        LOG.info("started TCP listener on {}:{} ({})", bound.getAddress().getHostAddress(), bound.getPort(),
                loops.isEpoll() ? "epoll" : "nio");
        return bound;
    }

    private static InetSocketAddress address(String host, int port) {
        return host == null || host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    /**
     * Checks, before the node touches its data directory, that the AMQP listener's address can be bound
     * (binds a probe socket with the listener's SO_REUSEADDR and closes it); port 0 (any free port) passes.
     *
     * @throws ConfigError with {@link #cannotListen}'s text
     */
    public static void checkCanListen(String host, int port) {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address(host, port));
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigError(cannotListen(host, port, e), e);
        }
    }

    /**
     * RabbitMQ's words for a listener that cannot bind ({@code could_not_start_listener}, host, port,
     * {@code eaddrinuse}), then what an operator can do about it.
     */
    static String cannotListen(String host, int port, Throwable e) {
        String message = String.valueOf(e.getMessage());
        String where = (host == null || host.isEmpty() ? Listener.ALL_INTERFACES : host) + " " + port;
        if (e instanceof java.net.BindException && message.contains("in use") || message.contains("Address already in use")) {
            return "could_not_start_listener " + where + ": eaddrinuse: port " + port + " is already in use by another"
                    + " process; stop it, or give this node another port (listeners.tcp.default or WARREN_NODE_PORT)";
        }
        return "could_not_start_listener " + where + ": " + message + "; check listeners.tcp.default (and"
                + " WARREN_NODE_PORT)";
    }

    /** Stops listening, closes every open connection, and shuts down the loops if it created them. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Channel ch = serverChannel;
            if (ch != null) {
                ch.close().await(5, TimeUnit.SECONDS);
            }
            connections.close().await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (ownsLoops) {
                loops.close();
            }
        }
    }
}
