package warren.cluster.link;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one outbound connection to one peer at one address: dials, and while not stopped redials
 * whenever the connection fails or closes, waiting 100 ms after the first failure and doubling up
 * to 2 s; a connection that authenticates resets the wait.
 */
final class PeerDialer {
    private static final Logger LOG = LoggerFactory.getLogger(PeerDialer.class);

    static final long FIRST_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2_000;

    private final String peer;
    private final InetSocketAddress address;
    private final Bootstrap bootstrap;

    private boolean stopped;
    private Channel channel;
    private ScheduledFuture<?> redial;
    private long backoffMs = FIRST_BACKOFF_MS;

    /**
     * @param base        group, channel type and options shared by every dialer
     * @param initializer builds the pipeline of this dialer's connections (told the dialer, so that
     *                    an authenticated connection can {@link #authenticated() reset} the backoff)
     */
    PeerDialer(String peer, InetSocketAddress address, Bootstrap base,
            Function<PeerDialer, ChannelHandler> initializer) {
        this.peer = peer;
        this.address = address;
        this.bootstrap = base.clone().handler(initializer.apply(this));
    }

    String peer() {
        return peer;
    }

    InetSocketAddress address() {
        return address;
    }

    synchronized void start() {
        dial();
    }

    /** The connection proved the cookie: the next failure is redialled quickly again. */
    synchronized void authenticated() {
        backoffMs = FIRST_BACKOFF_MS;
    }

    /** No more dialling; closes the current connection (its handler's onClose runs). */
    synchronized void stop() {
        stopped = true;
        if (redial != null) {
            redial.cancel(false);
            redial = null;
        }
        if (channel != null) {
            channel.close();
        }
    }

    private void dial() {
        if (stopped || channel != null) {
            return;
        }
        ChannelFuture connect;
        try {
            connect = bootstrap.connect(address);
        } catch (RejectedExecutionException e) {
            return; // the transport is closing
        }
        Channel dialled = connect.channel();
        channel = dialled;
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("Data link to node {} ({}): dial failed: {}", peer, address, f.cause().toString());
                dialled.close();
            }
        });
        dialled.closeFuture().addListener(f -> closed(dialled));
    }

    private synchronized void closed(Channel closedChannel) {
        if (closedChannel != channel) {
            return;
        }
        channel = null;
        if (stopped) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        LOG.debug("Data link to node {} ({}): redialling in {} ms", peer, address, delay);
        try {
            redial = bootstrap.config().group().schedule(this::redial, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the transport is closing
        }
    }

    private synchronized void redial() {
        redial = null;
        dial();
    }
}
