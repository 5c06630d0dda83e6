package warren.core.link;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import warren.core.broker.Broker;
import warren.core.broker.VirtualHost;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueConsumer;
import warren.core.queue.QueueEntry;
import warren.core.queue.RemoteQueues;

/**
 * Makes every queue reachable from every node. As a client it carries the operations on queues
 * living on other nodes ({@link RemoteQueues}) over this node's connection to their home node
 * ({@link ClientLink}); as a home it serves what other nodes ask of this node's queues
 * ({@link HomeSession}, one per connection a peer made).
 *
 * <p>Credit: a consumer with a prefetch gets that much credit at its queue's home node, given back
 * as its deliveries are settled; a consumer without one gets a window of {@value #WINDOW}
 * deliveries, given back by its node once they were handed to a client connection that can take
 * more — so a slow client holds a bounded amount at its node, as a local consumer would.
 */
public final class QueueLinks implements LinkEndpoint, RemoteQueues {
    /** Credit of a consumer without prefetch (no-ack, or prefetch 0): returned as deliveries are written. */
    static final int WINDOW = 1000;

    private final Broker broker;
    private final ConcurrentHashMap<String, ClientLink> links = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<QueueConsumer, ClientLink.Registration> registrations = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final List<Consumer<String>> downListeners = new CopyOnWriteArrayList<>();

    public QueueLinks(Broker broker) {
        this.broker = broker;
    }

    Broker broker() {
        return broker;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    ConcurrentHashMap<QueueConsumer, ClientLink.Registration> registrations() {
        return registrations;
    }

    /** Told the node's name when this node's link to it goes down (after its consumers were cancelled). */
    public void onLinkDown(Consumer<String> listener) {
        downListeners.add(listener);
    }

    void linkClosed(ClientLink link) {
        if (links.remove(link.node(), link)) {
            for (Consumer<String> l : downListeners) {
                l.accept(link.node());
            }
        }
    }

    /** The nodes this node has a live link to. */
    public List<String> reachableNodes() {
        return List.copyOf(links.keySet());
    }

    // ------------------------------------------------------------------ LinkEndpoint

    @Override
    public LinkHandler accepted(LinkConnection connection) {
        return new HomeSession(this, connection);
    }

    @Override
    public LinkHandler connected(LinkConnection connection) {
        ClientLink link = new ClientLink(this, connection);
        ClientLink old = links.put(connection.peer(), link);
        if (old != null) {
            old.connection().close();
        }
        return link;
    }

    // ------------------------------------------------------------------ RemoteQueues (this node as client)

    @Override
    public boolean isUp(String node) {
        ClientLink l = links.get(node);
        return l != null && l.connection().isOpen();
    }

    private ClientLink link(MessageQueue q) {
        ClientLink l = links.get(q.remoteHome());
        if (l == null || !l.connection().isOpen()) {
            throw VirtualHost.homeNodeDown(q);
        }
        return l;
    }

    @Override
    public boolean publish(MessageQueue queue, Message message, Consumer<Boolean> accepted) {
        ClientLink l = links.get(queue.remoteHome());
        if (l == null) {
            if (accepted != null) {
                accepted.accept(false); // its home went down after routing: not taken
            }
            return false;
        }
        return l.publish(queue, message, accepted);
    }

    @Override
    public void whenCaughtUp(MessageQueue queue, Runnable resume) {
        ClientLink l = links.get(queue.remoteHome());
        if (l == null) {
            resume.run();
        } else {
            l.whenWritable(resume);
        }
    }

    @Override
    public CompletableFuture<Void> addConsumer(MessageQueue queue, QueueConsumer consumer, boolean exclusive) {
        try {
            return link(queue).consume(queue, consumer, exclusive);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Void> removeConsumer(MessageQueue queue, QueueConsumer consumer) {
        ClientLink.Registration r = registrations.remove(consumer);
        if (r == null) {
            return CompletableFuture.completedFuture(null);
        }
        return r.link().cancel(r);
    }

    @Override
    public CompletableFuture<MessageQueue.GetResult> get(MessageQueue queue, boolean ackRequired) {
        try {
            return link(queue).get(queue, ackRequired);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void settle(MessageQueue queue, List<QueueEntry> entries, Settle how) {
        Map<Object, List<QueueEntry>> byLink = new HashMap<>(2);
        for (QueueEntry e : entries) {
            byLink.computeIfAbsent(e.link(), k -> new ArrayList<>()).add(e);
        }
        for (Map.Entry<Object, List<QueueEntry>> e : byLink.entrySet()) {
            // Deliveries that came over a link since closed went back to their queue when it closed.
            if (e.getKey() instanceof ClientLink l && links.get(l.node()) == l) {
                l.settle(queue, e.getValue(), how);
            }
        }
    }

    @Override
    public void wakeup(MessageQueue queue) {
        ClientLink l = links.get(queue.remoteHome());
        if (l != null) {
            l.returnHeldCredit(queue);
        }
    }

    @Override
    public CompletableFuture<MessageQueue.Counts> counts(MessageQueue queue, boolean touch) {
        try {
            return link(queue).counts(queue, touch);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Integer> purge(MessageQueue queue) {
        try {
            return link(queue).number(LinkCodec.PURGE, queue, b -> { });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Integer> delete(MessageQueue queue, boolean ifUnused, boolean ifEmpty) {
        ClientLink l = links.get(queue.remoteHome());
        if (l == null) {
            // Home down: only the definition goes (the home drops the queue's messages when it
            // returns and merges the deletion).
            return CompletableFuture.completedFuture(0);
        }
        return l.number(LinkCodec.DELETE, queue, b -> {
            b.writeBoolean(ifUnused);
            b.writeBoolean(ifEmpty);
        });
    }

    // ------------------------------------------------------------------ home side helpers

    /** A queue of this node named in a request, or null. */
    MessageQueue localQueue(String vhost, String name) {
        VirtualHost v = broker.vhost(vhost);
        MessageQueue q = v == null ? null : v.queue(name);
        return q != null && q.isLocal() ? q : null;
    }

    static void writeQueue(ByteBuf b, MessageQueue q) {
        LinkCodec.str(b, q.vhost());
        LinkCodec.str(b, q.name());
    }
}
