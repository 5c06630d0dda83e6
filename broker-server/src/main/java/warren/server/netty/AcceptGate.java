package warren.server.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AMQP listener's own handler, in front of Netty's acceptor: it decides whether an accepted
 * socket becomes a connection.
 *
 * <ul>
 *   <li>{@code connection_max}: at the limit the listener stops accepting, as RabbitMQ's (ranch's
 *       {@code max_connections}) does: further clients wait in the kernel's listen backlog and are
 *       served when a connection closes. Sockets already taken off the backlog in the same read wait
 *       here, not yet registered, for the same.</li>
 *   <li>File-descriptor reserve ({@link FdReserve}): an accept that would eat into the reserve is
 *       closed at once and accepting pauses until descriptors are free again, so that warrenctl and
 *       the cluster links still get theirs.</li>
 *   <li>Accept errors (such as {@code Too many open files}) pause accepting for a second and are
 *       logged in one line per {@value #LOG_INTERVAL_SECONDS} s with their count, never one per error.</li>
 * </ul>
 *
 * <p>Runs on the listener's event loop; child channels report their close back to it.
 */
final class AcceptGate extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptGate.class);
    static final int LOG_INTERVAL_SECONDS = 10;
    private static final long RECHECK_MS = 200;

    private final int connectionMax;
    private final FdReserve fds;
    private final ArrayDeque<Channel> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private int open;
    private boolean fdPaused;
    private boolean errorPaused;
    private boolean fullLogged;
    private long refused;
    private long errors;
    private String lastError;
    private long lastLogNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS);
    private boolean flushScheduled;
    private long lastResumeLogNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS);

    /**
     * @param connectionMax most AMQP connections at once ({@code connection_max}); Integer.MAX_VALUE for no limit
     * @param fds           the descriptor budget, or null not to watch it
     */
    AcceptGate(int connectionMax, FdReserve fds) {
        this.connectionMax = connectionMax;
        this.fds = fds;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        if (fds != null && fds.exhaustedOnAccept()) {
            child.unsafe().closeForcibly();
            refused++;
            if (!fdPaused) {
                fdPaused = true;
                updateReading();
                ctx.executor().schedule(this::recheckFds, RECHECK_MS, TimeUnit.MILLISECONDS);
            }
            report();
            return;
        }
        if (open >= connectionMax) {
            waiting.add(child);
            if (!fullLogged) {
                fullLogged = true;
                LOG.warn("connection_max ({}) reached: not accepting further AMQP connections until one closes",
                        connectionMax);
            }
            updateReading();
            return;
        }
        admit(child);
    }

    /** The listener closed (stop_app, stop): sockets still waiting for a slot are closed with it. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (Channel child : waiting) {
            child.unsafe().closeForcibly();
        }
        waiting.clear();
        super.channelInactive(ctx);
    }

    private void admit(Channel child) {
        open++;
        child.closeFuture().addListener(f -> {
            if (!ctx.executor().isShuttingDown()) {
                ctx.executor().execute(this::onChildClosed);
            }
        });
        ctx.fireChannelRead(child);
    }

    private void onChildClosed() {
        open--;
        while (open < connectionMax && !waiting.isEmpty()) {
            admit(waiting.poll());
        }
        if (open < connectionMax) {
            fullLogged = false;
        }
        updateReading();
    }

    private void recheckFds() {
        if (fds.recovered()) {
            fdPaused = false;
            report();
            long now = System.nanoTime();
            if (now - lastResumeLogNanos >= TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS)) {
                lastResumeLogNanos = now; // under a sustained flood pauses come and go; one line per interval
                LOG.info("accepting AMQP connections again: {} of {} file descriptors in use", fds.inUse(),
                        fds.limit());
            }
            updateReading();
        } else {
            ctx.executor().schedule(this::recheckFds, RECHECK_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void updateReading() {
        boolean read = !fdPaused && !errorPaused && open < connectionMax && waiting.isEmpty();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // An accept failed (e.g. EMFILE): pause a second rather than spin on it, and count it.
        errors++;
        lastError = String.valueOf(cause.getMessage() == null ? cause : cause.getMessage());
        if (!errorPaused) {
            errorPaused = true;
            updateReading();
            ctx.executor().schedule(() -> {
                errorPaused = false;
                updateReading();
            }, 1, TimeUnit.SECONDS);
        }
        report();
    }

    /** Logs what was refused since the last line, at most once per interval; what comes later is flushed then. */
    private void report() {
        if (refused == 0 && errors == 0) {
            return;
        }
        long now = System.nanoTime();
        long since = now - lastLogNanos;
        long interval = TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS);
        if (since < interval) {
            if (!flushScheduled) {
                flushScheduled = true;
                ctx.executor().schedule(() -> {
                    flushScheduled = false;
                    report();
                }, interval - since, TimeUnit.NANOSECONDS);
            }
            return;
        }
        lastLogNanos = now;
        if (refused > 0) {
            LOG.warn("refused {} AMQP connection(s) in the last {} s: file descriptors nearly exhausted ({} of {} in "
                    + "use; {} kept for warrenctl and cluster links)", refused, LOG_INTERVAL_SECONDS, fds.inUse(),
                    fds.limit(), fds.reserve());
        }
        if (errors > 0) {
            LOG.warn("{} AMQP connection accept(s) failed in the last {} s: {}", errors, LOG_INTERVAL_SECONDS,
                    lastError);
        }
        refused = 0;
        errors = 0;
    }
}
