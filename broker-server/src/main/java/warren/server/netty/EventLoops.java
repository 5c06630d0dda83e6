package warren.server.netty;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's Netty event loops: one boss thread accepting connections and a worker group doing
 * socket I/O. Created before the {@link warren.core.broker.Broker} so the broker can run its queues
 * on the worker loops too ({@link #queueExecutors()}); an {@link AmqpServer} then uses the same
 * loops. Epoll when the native transport loads, NIO otherwise.
 */
public final class EventLoops implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoops.class);

    private final boolean epoll;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final List<EventLoop> workerLoops;
    private final AtomicInteger nextQueueLoop = new AtomicInteger();
    private volatile boolean closed;

    private EventLoops(boolean epoll, int workerThreads) {
        this.epoll = epoll;
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("warren-accept", true), factory);
        this.workers = new MultiThreadIoEventLoopGroup(workerThreads, new DefaultThreadFactory("warren-io", true),
                factory);
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : workers) {
            loops.add((EventLoop) e);
        }
        this.workerLoops = List.copyOf(loops);
    }

    /** One worker thread per available processor; epoll if available. */
    public static EventLoops create() {
        return create(Runtime.getRuntime().availableProcessors(), true);
    }

    /**
     * @param workerThreads size of the worker group (at least 1)
     * @param preferNative  use epoll when {@link Epoll#isAvailable()}; false forces NIO
     */
    public static EventLoops create(int workerThreads, boolean preferNative) {
        if (workerThreads < 1) {
            throw new IllegalArgumentException("workerThreads must be positive: " + workerThreads);
        }
        boolean useEpoll = preferNative && Epoll.isAvailable();
        if (preferNative && !useEpoll) {
            LOG.debug("native epoll transport unavailable, using NIO", Epoll.unavailabilityCause());
        }
        return new EventLoops(useEpoll, workerThreads);
    }

    /** Whether the native epoll transport is in use. */
    public boolean isEpoll() {
        return epoll;
    }

    EventLoopGroup boss() {
        return boss;
    }

    EventLoopGroup workers() {
        return workers;
    }

    Class<? extends ServerChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Hands out the worker event loops round-robin. Each is a single thread, so each is a valid
     * serial executor for one queue. Pass it to {@code new Broker(settings, loops.queueExecutors())}.
     */
    public Supplier<Executor> queueExecutors() {
        return () -> workerLoops.get(Math.floorMod(nextQueueLoop.getAndIncrement(), workerLoops.size()));
    }

    /** Shuts both groups down and waits (bounded) for their threads to finish. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        var b = boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        var w = workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        try {
            b.await(10, TimeUnit.SECONDS);
            w.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
