package warren.core.session;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;

/**
 * A basic.consume registration. Credit (prefetch) is kept in atomics so that the queue's thread
 * can reserve and the connection's thread release without a hop; deliveries hop to the
 * connection's thread.
 */
final class ChannelConsumer implements QueueConsumer {
    final ChannelSession channel;
    final MessageQueue queue;
    final String tag;
    final boolean noAck;
    final int prefetch;       // 0 = unlimited (per consumer)
    final int priority;
    final Map<String, Object> arguments;
    final AtomicInteger inFlight = new AtomicInteger();
    /** Set once consume-ok went out: a publish racing the registration must not deliver before it. */
    volatile boolean started;

    ChannelConsumer(ChannelSession channel, MessageQueue queue, String tag, boolean noAck, int prefetch, int priority,
                    Map<String, Object> arguments) {
        this.channel = channel;
        this.queue = queue;
        this.tag = tag;
        this.noAck = noAck;
        this.prefetch = prefetch;
        this.priority = priority;
        this.arguments = arguments;
    }

    @Override
    public String tag() {
        return tag;
    }

    @Override
    public int priority() {
        return priority;
    }

    @Override
    public boolean ackRequired() {
        return !noAck;
    }

    @Override
    public boolean tryReserve() {
        if (!started || !channel.connection().isWritable() || channel.isFlowStopped()) {
            return false;
        }
        if (noAck) {
            return true;
        }
        if (prefetch > 0) {
            int n;
            do {
                n = inFlight.get();
                if (n >= prefetch) {
                    return false;
                }
            } while (!inFlight.compareAndSet(n, n + 1));
        } else {
            inFlight.incrementAndGet();
        }
        if (!channel.reserveGlobal()) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    @Override
    public boolean writable() {
        return channel.connection().isWritable() && !channel.isFlowStopped();
    }

    @Override
    public void reservedRemotely() {
        if (!noAck) {
            inFlight.incrementAndGet();
            channel.reservedGlobal();
        }
    }

    @Override
    public int creditLimit() {
        if (noAck) {
            return 0;
        }
        int global = channel.globalPrefetch();
        if (prefetch > 0 && global > 0) {
            return Math.min(prefetch, global);
        }
        return Math.max(prefetch, global);
    }

    /** Gives back the credit of one settled delivery (called on the connection's thread). */
    void release() {
        inFlight.decrementAndGet();
        channel.releaseGlobal();
    }

    @Override
    public void deliver(MessageQueue from, QueueEntry entry) {
        channel.connection().execute(() -> channel.sendDelivery(this, entry));
    }

    @Override
    public void cancelledByQueue(MessageQueue from) {
        channel.connection().execute(() -> channel.consumerCancelledByQueue(this));
    }

    @Override
    public Map<String, Object> info() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("channel_pid", channel.connection().name() + " (" + channel.id() + ")");
        row.put("consumer_tag", tag);
        row.put("ack_required", !noAck);
        row.put("prefetch_count", prefetch);
        row.put("arguments", arguments);
        return row;
    }
}
