package warren.core.link;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.ReplyCode;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;
import warren.core.queue.RemoteQueues;

/**
 * This node's connection to one other node, for the queues living there: sends requests and
 * publishes, receives answers, confirms and deliveries. When it closes, everything waiting on it
 * fails (publishes are nacked, requests get 404 naming the node) and its consumers are cancelled,
 * as RabbitMQ cancels consumers of a queue whose node went down.
 */
final class ClientLink implements LinkHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ClientLink.class);

    /** A consumer here of a queue there. */
    record Registration(long id, QueueConsumer consumer, MessageQueue queue, ClientLink link, boolean window,
                        AtomicInteger owed) {
    }

    private record Request<T>(CompletableFuture<T> future, Function<ByteBuf, T> decode) {
        void complete(ByteBuf b) {
            try {
                future.complete(decode.apply(b));
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
    }

    private final QueueLinks links;
    private final LinkConnection connection;
    private final String node;
    private final ConcurrentHashMap<Long, Request<?>> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Consumer<Boolean>> confirms = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Registration> consumers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> flowWaiters = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    ClientLink(QueueLinks links, LinkConnection connection) {
        this.links = links;
        this.connection = connection;
        this.node = connection.peer();
    }

    String node() {
        return node;
    }

    LinkConnection connection() {
        return connection;
    }

    // ------------------------------------------------------------------ requests

    boolean publish(MessageQueue q, Message m, Consumer<Boolean> accepted) {
        long id = 0;
        if (accepted != null) {
            id = links.nextId();
            confirms.put(id, accepted);
        }
        ByteBuf b = LinkCodec.frame(LinkCodec.PUBLISH, LinkCodec.messageSize(m) + 64);
        QueueLinks.writeQueue(b, q);
        b.writeLong(id);
        LinkCodec.message(b, m);
        connection.send(b);
        if (closed && id != 0) {
            Consumer<Boolean> c = confirms.remove(id);
            if (c != null) {
                c.accept(false);
            }
        }
        return !connection.isWritable();
    }

    void whenWritable(Runnable resume) {
        flowWaiters.add(resume);
        if (connection.isWritable() || closed) {
            releaseFlowWaiters();
        }
    }

    private void releaseFlowWaiters() {
        Runnable r;
        while ((r = flowWaiters.poll()) != null) {
            r.run();
        }
    }

    private <T> CompletableFuture<T> request(byte type, MessageQueue q, Function<ByteBuf, T> decode,
                                             Consumer<ByteBuf> fields) {
        long id = links.nextId();
        CompletableFuture<T> f = new CompletableFuture<>();
        requests.put(id, new Request<>(f, decode));
        ByteBuf b = LinkCodec.frame(type, 128);
        b.writeLong(id);
        if (q != null) {
            QueueLinks.writeQueue(b, q);
        }
        fields.accept(b);
        connection.send(b);
        if (closed && requests.remove(id) != null) {
            f.completeExceptionally(gone(q));
        }
        return f;
    }

    private ChannelException gone(MessageQueue q) {
        return q == null ? new ChannelException(ReplyCode.NOT_FOUND, "node '" + node + "' is down or inaccessible")
                : warren.core.broker.VirtualHost.homeNodeDown(q);
    }

    CompletableFuture<Void> consume(MessageQueue q, QueueConsumer consumer, boolean exclusive) {
        int limit = consumer.creditLimit();
        boolean window = limit <= 0;
        Registration r = new Registration(links.nextId(), consumer, q, this, window, new AtomicInteger());
        consumers.put(r.id(), r);
        links.registrations().put(consumer, r);
        CompletableFuture<Void> f = request(LinkCodec.CONSUME, q, b -> null, b -> {
            b.writeLong(r.id());
            LinkCodec.str(b, consumer.tag());
            b.writeBoolean(exclusive);
            b.writeInt(consumer.priority());
            b.writeBoolean(consumer.ackRequired());
            b.writeInt(window ? QueueLinks.WINDOW : limit);
            b.writeBoolean(!window); // credit comes back with settlements (else with CREDIT frames)
        });
        f.whenComplete((v, err) -> {
            if (err != null) {
                consumers.remove(r.id());
                links.registrations().remove(consumer, r);
            }
        });
        return f;
    }

    CompletableFuture<Void> cancel(Registration r) {
        consumers.remove(r.id());
        if (closed) {
            return CompletableFuture.completedFuture(null);
        }
        return request(LinkCodec.CANCEL, null, b -> (Void) null, b -> b.writeLong(r.id()))
                .exceptionally(err -> null); // its home is gone: nothing left to cancel
    }

    CompletableFuture<MessageQueue.GetResult> get(MessageQueue q, boolean ackRequired) {
        return request(LinkCodec.GET, q, b -> {
            int remaining = b.readInt();
            if (!b.readBoolean()) {
                return new MessageQueue.GetResult(null, remaining);
            }
            long seq = b.readLong();
            boolean redelivered = b.readBoolean();
            Message m = LinkCodec.message(b);
            return new MessageQueue.GetResult(QueueEntry.fromLink(seq, m, redelivered, this), remaining);
        }, b -> b.writeBoolean(ackRequired));
    }

    CompletableFuture<MessageQueue.Counts> counts(MessageQueue q, boolean touch) {
        return request(LinkCodec.COUNTS, q, b -> new MessageQueue.Counts(b.readInt(), b.readInt(), b.readInt()),
                b -> b.writeBoolean(touch));
    }

    CompletableFuture<Integer> number(byte type, MessageQueue q, Consumer<ByteBuf> fields) {
        return request(type, q, ByteBuf::readInt, fields);
    }

    void settle(MessageQueue q, List<QueueEntry> entries, RemoteQueues.Settle how) {
        ByteBuf b = LinkCodec.frame(LinkCodec.SETTLE, 64 + entries.size() * 8);
        QueueLinks.writeQueue(b, q);
        b.writeByte(how.ordinal());
        b.writeInt(entries.size());
        for (QueueEntry e : entries) {
            b.writeLong(e.seq());
        }
        connection.send(b);
    }

    /** Window credit held back while the consumer's client could not take more: give it now if it can. */
    void returnHeldCredit(MessageQueue q) {
        for (Registration r : consumers.values()) {
            if (r.queue() == q && r.window()) {
                maybeReturnCredit(r, 1);
            }
        }
    }

    private void maybeReturnCredit(Registration r, int threshold) {
        int owed = r.owed().get();
        if (owed >= threshold && r.consumer().writable() && r.owed().compareAndSet(owed, 0)) {
            ByteBuf b = LinkCodec.frame(LinkCodec.CREDIT, 16);
            b.writeLong(r.id());
            b.writeInt(owed);
            connection.send(b);
        }
    }

    // ------------------------------------------------------------------ inbound

    @Override
    public void onFrame(ByteBuf b) {
        byte type = b.readByte();
        switch (type) {
            case LinkCodec.CONFIRM -> {
                long id = b.readLong();
                boolean ok = b.readBoolean();
                Consumer<Boolean> c = confirms.remove(id);
                if (c != null) {
                    c.accept(ok);
                }
            }
            case LinkCodec.DELIVER -> deliver(b);
            case LinkCodec.CANCELLED -> {
                Registration r = consumers.remove(b.readLong());
                if (r != null) {
                    links.registrations().remove(r.consumer(), r);
                    r.consumer().cancelledByQueue(r.queue());
                }
            }
            case LinkCodec.OK, LinkCodec.GOT, LinkCodec.COUNTED, LinkCodec.NUMBER -> {
                Request<?> r = requests.remove(b.readLong());
                if (r != null) {
                    r.complete(b);
                }
            }
            case LinkCodec.ERROR -> {
                Request<?> r = requests.remove(b.readLong());
                ReplyCode code = ReplyCode.byCode(b.readShort());
                String text = LinkCodec.str(b);
                if (r != null) {
                    if (code == null || code.isHard()) {
                        r.future().completeExceptionally(new ConnectionException(
                                code == null ? ReplyCode.INTERNAL_ERROR : code, text));
                    } else {
                        r.future().completeExceptionally(new ChannelException(code, text));
                    }
                }
            }
            default -> {
                LOG.error("data link from node {}: unknown frame type {}; closing the link", node, type);
                connection.close();
            }
        }
    }

    private void deliver(ByteBuf b) {
        long consumerId = b.readLong();
        String vhost = LinkCodec.str(b);
        String queue = LinkCodec.str(b);
        long seq = b.readLong();
        boolean redelivered = b.readBoolean();
        Message m = LinkCodec.message(b);
        QueueEntry entry = QueueEntry.fromLink(seq, m, redelivered, this);
        Registration r = consumers.get(consumerId);
        if (r == null) {
            // Cancelled while this was on its way: back to its queue (ignored there if it needed no ack).
            ByteBuf s = LinkCodec.frame(LinkCodec.SETTLE, 64);
            LinkCodec.str(s, vhost);
            LinkCodec.str(s, queue);
            s.writeByte(RemoteQueues.Settle.REQUEUE.ordinal());
            s.writeInt(1);
            s.writeLong(seq);
            connection.send(s);
            return;
        }
        if (r.consumer().ackRequired()) {
            r.consumer().reservedRemotely();
        }
        r.consumer().deliver(r.queue(), entry);
        if (r.window()) {
            r.owed().incrementAndGet();
            maybeReturnCredit(r, QueueLinks.WINDOW / 4);
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (writable) {
            releaseFlowWaiters();
        }
    }

    @Override
    public void onClose() {
        closed = true;
        links.linkClosed(this);
        for (Long id : List.copyOf(requests.keySet())) {
            Request<?> r = requests.remove(id);
            if (r != null) {
                r.future().completeExceptionally(gone(null));
            }
        }
        for (Long id : List.copyOf(confirms.keySet())) {
            Consumer<Boolean> c = confirms.remove(id);
            if (c != null) {
                c.accept(false);
            }
        }
        for (Long id : List.copyOf(consumers.keySet())) {
            Registration r = consumers.remove(id);
            if (r != null) {
                links.registrations().remove(r.consumer(), r);
                r.consumer().cancelledByQueue(r.queue());
            }
        }
        releaseFlowWaiters();
    }
}
