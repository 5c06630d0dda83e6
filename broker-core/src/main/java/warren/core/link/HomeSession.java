package warren.core.link;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.AmqpException;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;
import warren.core.queue.RemoteQueues;

/**
 * What one peer node asks of this node's queues, over the connection it made: its publishes are
 * enqueued in the order they arrive, its consumers get deliveries under the credit they were
 * given, its settlements reach the queues. Deliveries it has not settled, and its consumers, are
 * given back when the connection closes (the peer died or left): the messages are requeued,
 * flagged redelivered, as for a client connection that died.
 */
final class HomeSession implements LinkHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HomeSession.class);

    private final QueueLinks links;
    private final LinkConnection connection;
    private final ConcurrentHashMap<Long, LinkConsumer> consumers = new ConcurrentHashMap<>();
    /** Deliveries (by consumers and basic.get) the peer has not settled yet, by queue and seq. */
    private final ConcurrentHashMap<MessageQueue, ConcurrentHashMap<Long, Unsettled>> unsettled =
            new ConcurrentHashMap<>();
    private final AtomicInteger paused = new AtomicInteger();
    private volatile boolean closed;

    private record Unsettled(QueueEntry entry, LinkConsumer consumer) {
    }

    HomeSession(QueueLinks links, LinkConnection connection) {
        this.links = links;
        this.connection = connection;
    }

    // ------------------------------------------------------------------ consumers of the peer

    /** A consumer on the peer node, as this node's queue sees it. */
    private final class LinkConsumer implements QueueConsumer {
        final long id;
        final MessageQueue queue;
        final String tag;
        final int priority;
        final boolean ackRequired;
        final int limit;
        final boolean creditOnSettle;
        final AtomicInteger credit;
        volatile boolean cancelled;
        /** Set once the peer was told its consume succeeded: no delivery may overtake that answer. */
        volatile boolean started;

        LinkConsumer(long id, MessageQueue queue, String tag, int priority, boolean ackRequired, int credit,
                     boolean creditOnSettle) {
            this.id = id;
            this.queue = queue;
            this.tag = tag;
            this.priority = priority;
            this.ackRequired = ackRequired;
            this.limit = credit;
            this.creditOnSettle = creditOnSettle;
            this.credit = new AtomicInteger(credit);
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
            return ackRequired;
        }

        @Override
        public boolean tryReserve() {
            if (!started || cancelled || !connection.isWritable()) {
                return false;
            }
            int n;
            do {
                n = credit.get();
                if (n <= 0) {
                    return false;
                }
            } while (!credit.compareAndSet(n, n - 1));
            return true;
        }

        @Override
        public void deliver(MessageQueue from, QueueEntry entry) {
            if (ackRequired) {
                unsettled.computeIfAbsent(from, k -> new ConcurrentHashMap<>()).put(entry.seq(),
                        new Unsettled(entry, this));
                if (closed || cancelled) {
                    giveBack(from, entry.seq());
                    return;
                }
            } else if (closed) {
                return; // taken without ack: the peer is gone, as a client that died holding it
            }
            Message m = entry.message();
            ByteBuf b = LinkCodec.frame(LinkCodec.DELIVER, LinkCodec.messageSize(m) + 96);
            b.writeLong(id);
            QueueLinks.writeQueue(b, from);
            b.writeLong(entry.seq());
            b.writeBoolean(entry.redelivered());
            LinkCodec.message(b, m);
            connection.send(b);
        }

        @Override
        public void cancelledByQueue(MessageQueue from) {
            if (consumers.remove(id, this)) {
                ByteBuf b = LinkCodec.frame(LinkCodec.CANCELLED, 16);
                b.writeLong(id);
                connection.send(b);
            }
        }

        @Override
        public Map<String, Object> info() {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("channel_pid", "on node " + connection.peer());
            row.put("consumer_tag", tag);
            row.put("ack_required", ackRequired);
            row.put("prefetch_count", creditOnSettle ? limit : 0);
            row.put("arguments", Map.of());
            return row;
        }
    }

    private void giveBack(MessageQueue q, long seq) {
        Map<Long, Unsettled> m = unsettled.get(q);
        Unsettled u = m == null ? null : m.remove(seq);
        if (u != null) {
            q.requeue(List.of(u.entry()));
        }
    }

    // ------------------------------------------------------------------ inbound

    @Override
    public void onFrame(ByteBuf b) {
        byte type = b.readByte();
        switch (type) {
            case LinkCodec.PUBLISH -> publish(b);
            case LinkCodec.SETTLE -> settle(b);
            case LinkCodec.CREDIT -> {
                LinkConsumer c = consumers.get(b.readLong());
                int n = b.readInt();
                if (c != null) {
                    c.credit.addAndGet(n);
                    c.queue.wakeup();
                }
            }
            case LinkCodec.CONSUME -> consume(b);
            case LinkCodec.CANCEL -> {
                long req = b.readLong();
                LinkConsumer c = consumers.remove(b.readLong());
                if (c == null) {
                    ok(req);
                } else {
                    c.cancelled = true;
                    answer(req, c.queue.removeConsumer(c), v -> ok(req));
                }
            }
            case LinkCodec.GET -> get(b);
            case LinkCodec.COUNTS -> {
                long req = b.readLong();
                String vhost = LinkCodec.str(b);
                String name = LinkCodec.str(b);
                boolean touch = b.readBoolean();
                withQueue(req, vhost, name, q -> {
                    answer(req, touch ? q.touchAndCount() : q.counts(), c -> {
                        ByteBuf out = LinkCodec.frame(LinkCodec.COUNTED, 24);
                        out.writeLong(req);
                        out.writeInt(c.ready());
                        out.writeInt(c.unacked());
                        out.writeInt(c.consumers());
                        connection.send(out);
                    });
                });
            }
            case LinkCodec.PURGE -> {
                long req = b.readLong();
                String vhost = LinkCodec.str(b);
                String name = LinkCodec.str(b);
                withQueue(req, vhost, name, q -> answer(req, q.purge(), n -> number(req, n)));
            }
            case LinkCodec.DELETE -> {
                long req = b.readLong();
                String vhost = LinkCodec.str(b);
                String name = LinkCodec.str(b);
                boolean ifUnused = b.readBoolean();
                boolean ifEmpty = b.readBoolean();
                withQueue(req, vhost, name, q -> answer(req, q.delete(ifUnused, ifEmpty), n -> number(req, n)));
            }
            default -> {
                LOG.error("data link from node {}: unknown frame type {}; closing the link", connection.peer(), type);
                connection.close();
            }
        }
    }

    private void publish(ByteBuf b) {
        String vhost = LinkCodec.str(b);
        String name = LinkCodec.str(b);
        long id = b.readLong();
        Message m = LinkCodec.message(b);
        MessageQueue q = links.localQueue(vhost, name);
        if (q == null) {
            // Deleted while the publish was on its way: dropped, as a publish to a queue deleted meanwhile.
            if (id != 0) {
                confirm(id, true);
            }
            return;
        }
        Consumer<Boolean> accepted = id == 0 ? null : ok -> confirm(id, ok);
        if (q.publish(m, accepted)) {
            // The queue falls behind: stop reading this peer until it catches up (its publishers then
            // find the link unwritable and pause in turn).
            if (paused.getAndIncrement() == 0) {
                connection.setAutoRead(false);
            }
            q.whenCaughtUp(() -> {
                if (paused.decrementAndGet() == 0) {
                    connection.setAutoRead(true);
                }
            });
        }
    }

    private void confirm(long id, boolean ok) {
        ByteBuf out = LinkCodec.frame(LinkCodec.CONFIRM, 16);
        out.writeLong(id);
        out.writeBoolean(ok);
        connection.send(out);
    }

    private void settle(ByteBuf b) {
        String vhost = LinkCodec.str(b);
        String name = LinkCodec.str(b);
        RemoteQueues.Settle how = RemoteQueues.Settle.values()[b.readByte()];
        int n = b.readInt();
        MessageQueue q = links.localQueue(vhost, name);
        Map<Long, Unsettled> m = q == null ? null : unsettled.get(q);
        if (m == null) {
            b.skipBytes(8 * n);
            return;
        }
        List<QueueEntry> entries = new ArrayList<>(n);
        int creditBack = 0;
        LinkConsumer last = null;
        for (int i = 0; i < n; i++) {
            Unsettled u = m.remove(b.readLong());
            if (u == null) {
                continue;
            }
            entries.add(u.entry());
            if (u.consumer() != null && u.consumer().creditOnSettle) {
                if (last != null && last != u.consumer()) {
                    last.credit.addAndGet(creditBack);
                    creditBack = 0;
                }
                last = u.consumer();
                creditBack++;
            }
        }
        if (last != null) {
            last.credit.addAndGet(creditBack);
        }
        if (entries.isEmpty()) {
            return;
        }
        switch (how) {
            case ACK -> q.ack(entries);
            case REQUEUE -> q.requeue(entries);
            case REJECT -> q.reject(entries);
        }
        q.wakeup();
    }

    private void consume(ByteBuf b) {
        long req = b.readLong();
        String vhost = LinkCodec.str(b);
        String name = LinkCodec.str(b);
        long id = b.readLong();
        String tag = LinkCodec.str(b);
        boolean exclusive = b.readBoolean();
        int priority = b.readInt();
        boolean ackRequired = b.readBoolean();
        int credit = b.readInt();
        boolean creditOnSettle = b.readBoolean();
        withQueue(req, vhost, name, q -> consume(req, q, id, tag, exclusive, priority, ackRequired, credit,
                creditOnSettle));
    }

    private void consume(long req, MessageQueue q, long id, String tag, boolean exclusive, int priority,
                         boolean ackRequired, int credit, boolean creditOnSettle) {
        LinkConsumer c = new LinkConsumer(id, q, tag, priority, ackRequired, credit, creditOnSettle);
        consumers.put(id, c);
        q.addConsumer(c, exclusive).whenComplete((v, err) -> {
            if (err != null) {
                consumers.remove(id, c);
                error(req, err);
            } else if (closed) {
                consumers.remove(id, c);
                q.removeConsumer(c);
            } else {
                ok(req);
                c.started = true;
                q.wakeup(); // first deliveries only after the peer heard consume-ok
            }
        });
    }

    private void get(ByteBuf b) {
        long req = b.readLong();
        String vhost = LinkCodec.str(b);
        String name = LinkCodec.str(b);
        boolean ack = b.readBoolean();
        withQueue(req, vhost, name, q -> get(req, q, ack));
    }

    private void get(long req, MessageQueue q, boolean ack) {
        answer(req, q.get(ack), r -> {
            QueueEntry e = r.entry();
            if (e != null && ack) {
                unsettled.computeIfAbsent(q, k -> new ConcurrentHashMap<>()).put(e.seq(), new Unsettled(e, null));
                if (closed) {
                    giveBack(q, e.seq());
                    return;
                }
            }
            ByteBuf out = LinkCodec.frame(LinkCodec.GOT, e == null ? 24 : LinkCodec.messageSize(e.message()) + 48);
            out.writeLong(req);
            out.writeInt(r.remaining());
            out.writeBoolean(e != null);
            if (e != null) {
                out.writeLong(e.seq());
                out.writeBoolean(e.redelivered());
                LinkCodec.message(out, e.message());
            }
            connection.send(out);
        });
    }

    /**
     * Runs {@code action} with the queue a request names. A queue declared through another node may
     * reach that node's definitions a moment before this one's (each applies the agreed change when
     * it is delivered to it): the lookup is retried for up to {@value #DEFINITION_WAIT_MS} ms before
     * the answer is 404.
     */
    private void withQueue(long req, String vhost, String name, Consumer<MessageQueue> action) {
        withQueue(req, vhost, name, action, System.nanoTime() + DEFINITION_WAIT_MS * 1_000_000L);
    }

    private void withQueue(long req, String vhost, String name, Consumer<MessageQueue> action, long deadline) {
        MessageQueue q = links.localQueue(vhost, name);
        if (q != null) {
            action.accept(q);
        } else if (System.nanoTime() < deadline && !closed) {
            links.broker().timerSchedule(() -> withQueue(req, vhost, name, action, deadline), 5,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        } else {
            error(req, new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + name + "' in vhost '" + vhost
                    + "' on node " + links.broker().settings().nodeName()));
        }
    }

    private static final long DEFINITION_WAIT_MS = 2000;

    private <T> void answer(long req, CompletableFuture<T> f, Consumer<T> reply) {
        f.whenComplete((v, err) -> {
            if (err != null) {
                error(req, err);
            } else {
                reply.accept(v);
            }
        });
    }

    private void ok(long req) {
        ByteBuf out = LinkCodec.frame(LinkCodec.OK, 16);
        out.writeLong(req);
        connection.send(out);
    }

    private void number(long req, int n) {
        ByteBuf out = LinkCodec.frame(LinkCodec.NUMBER, 16);
        out.writeLong(req);
        out.writeInt(n);
        connection.send(out);
    }

    private void error(long req, Throwable err) {
        Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        ReplyCode code = ReplyCode.INTERNAL_ERROR;
        String text = String.valueOf(e);
        if (e instanceof AmqpException a) {
            code = a.replyCode();
            text = a.getMessage();
        } else {
            LOG.warn("data link request from node {} failed", connection.peer(), e);
        }
        ByteBuf out = LinkCodec.frame(LinkCodec.ERROR, 64 + text.length() * 3);
        out.writeLong(req);
        out.writeShort(code.code());
        LinkCodec.str(out, text);
        connection.send(out);
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (writable) {
            for (LinkConsumer c : consumers.values()) {
                c.queue.wakeup();
            }
        }
    }

    /** The peer is gone (or left): its consumers go, what it held unsettled goes back to the queues. */
    @Override
    public void onClose() {
        closed = true;
        for (LinkConsumer c : List.copyOf(consumers.values())) {
            consumers.remove(c.id, c);
            c.cancelled = true;
            c.queue.removeConsumer(c);
        }
        for (Map.Entry<MessageQueue, ConcurrentHashMap<Long, Unsettled>> e : unsettled.entrySet()) {
            List<QueueEntry> back = new ArrayList<>();
            for (Long seq : List.copyOf(e.getValue().keySet())) {
                Unsettled u = e.getValue().remove(seq);
                if (u != null) {
                    back.add(u.entry());
                }
            }
            if (!back.isEmpty()) {
                e.getKey().requeue(back);
            }
        }
        if (paused.getAndSet(0) > 0) {
            LOG.debug("data link from node {} closed while its publishes were paused", connection.peer());
        }
    }
}
