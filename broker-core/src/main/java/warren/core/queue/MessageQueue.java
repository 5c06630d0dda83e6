package warren.core.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import io.netty.buffer.Unpooled;
import warren.core.amqp.BasicProperties;
import warren.core.message.Message;
import warren.core.store.MessageStore;
import warren.core.store.StoredEntry;
import warren.core.store.StoredMessage;

/**
 * One queue. Its state is touched only by tasks run on its serial executor, so no locks: every
 * public operation posts a task and, where the caller needs an answer, returns a future.
 */
public final class MessageQueue {
    private static final Logger LOG = LoggerFactory.getLogger(MessageQueue.class);

    /** Answer of basic.get: the entry (null when empty) and the ready count left behind. */
    public record GetResult(QueueEntry entry, int remaining) {
    }

    /** Ready/unacked/consumer counts at one moment. */
    public record Counts(int ready, int unacked, int consumers) {
    }

    private final String vhost;
    private final String name;
    private final boolean durable;
    private final boolean exclusive;
    private final boolean autoDelete;
    private final Object exclusiveOwner;
    private final QueueArguments arguments;
    private final Executor executor;
    private final QueueHost host;
    private final MessageStore store;
    private final String storeKey;
    /** Persistent messages are written to the store (durable queue on a node with a disk store). */
    private final boolean persistentQueue;
    /** Backlog beyond {@link #PAGE_IN_MEMORY} ready messages is kept on disk only (not for priority queues). */
    private final boolean pagingEnabled;

    /** Ready messages kept in memory per queue; the rest of a longer backlog waits on disk. */
    public static final int PAGE_IN_MEMORY = 20_000;
    private static final int PAGE_BATCH = 5_000;
    /**
     * Entries one turn of a long operation handles (requeue, ack, dead-lettering, expiry, purge,
     * dispatch, recovery); the rest waits for a later turn. A queue runs on an I/O event loop of the
     * daemon, and later turns come after that loop's next I/O pass, so other connections on the loop
     * keep their latency whatever the size of the operation.
     */
    static final int SLICE = 2_048;
    /** The same for dead-lettering (rejects, expiry), each of which also re-publishes the message: several times dearer. */
    static final int DEAD_LETTER_SLICE = 512;
    /**
     * Weight of the publishes waiting in the queue's mailbox above which publishers are paused, and
     * below which resumed. A publish weighs its body plus {@link #PUBLISH_OVERHEAD} (about what the
     * message's own objects take), so the mailbox holds ~16k small messages or ~16 MiB of large ones.
     */
    private static final long FLOW_PAUSE = 16L << 20;
    private static final long FLOW_RESUME = 4L << 20;
    private static final int PUBLISH_OVERHEAD = 1024;
    private final java.util.concurrent.atomic.AtomicLong pendingPublishes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> flowWaiters = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final CompletableFuture<Boolean> ACCEPTED = CompletableFuture.completedFuture(true);
    private static final CompletableFuture<Boolean> REFUSED = CompletableFuture.completedFuture(false);

    // --- state owned by the executor ---
    private final ReadyList ready;
    private final List<ConsumerSlot> consumers = new ArrayList<>();
    private long nextSeq;
    private int unacked;
    private int roundRobin;
    private boolean hadConsumer;
    private boolean deleted;
    /**
     * Set (from any thread) once the queue is certain to go: deleted on its thread, or its exclusive owner
     * closed. A declare that finds it waits for {@link #whenRemoved()} and makes a new queue instead.
     */
    private volatile boolean goingAway;
    /** Completes when the vhost has dropped this queue's definition (the name is free again). */
    private final CompletableFuture<Void> removed = new CompletableFuture<>();
    private long lastUsedMillis = System.currentTimeMillis();
    private long expiryCheckAt = Long.MAX_VALUE;
    private volatile Counts snapshot = new Counts(0, 0, 0);
    /** Ready messages on disk only (paged out), from seq {@link #nextDiskSeq} on. */
    private long diskCount;
    private long nextDiskSeq;
    private boolean loading;
    /** A dispatch turn is scheduled for later (the last one stopped at {@link #SLICE} deliveries). */
    private boolean dispatchLater;
    /** An expiry turn is scheduled for later (the last one stopped at {@link #SLICE} expired heads). */
    private boolean expireLater;
    private int diskEpoch;
    private final List<Runnable> waitingForLoad = new ArrayList<>();
    /** DELIVERED marks of this dispatch turn, written together by {@link #handOverTurn()}. */
    private final List<StoredEntry> pendingMarks = new ArrayList<>();
    /** Hand-overs (deliveries, get answers) of this turn that must wait for marks or earlier hand-overs. */
    private List<Runnable> heldHandOvers = new ArrayList<>();
    /** Completes when every hand-over held so far has run (on the store's thread); keeps them in order. */
    private CompletableFuture<Void> handOvers = CompletableFuture.completedFuture(null);

    private static final class ConsumerSlot {
        final QueueConsumer consumer;
        final boolean exclusive;
        boolean active = true;

        ConsumerSlot(QueueConsumer consumer, boolean exclusive) {
            this.consumer = consumer;
            this.exclusive = exclusive;
        }
    }

    public MessageQueue(String vhost, String name, boolean durable, boolean exclusive, boolean autoDelete,
                        Object exclusiveOwner, QueueArguments arguments, Executor executor, QueueHost host,
                        MessageStore store) {
        this.vhost = vhost;
        this.name = name;
        this.durable = durable;
        this.exclusive = exclusive;
        this.autoDelete = autoDelete;
        this.exclusiveOwner = exclusiveOwner;
        this.arguments = arguments;
        this.executor = executor;
        this.host = host;
        this.store = store;
        this.storeKey = vhost + '\0' + name;
        this.persistentQueue = durable && store.isDurable();
        this.pagingEnabled = store.isDurable() && arguments.maxPriority == 0;
        this.ready = new ReadyList(arguments.maxPriority);
        if (arguments.expires > 0) {
            executor.execute(this::scheduleUnusedCheck);
        }
    }

    public String vhost() {
        return vhost;
    }

    public String name() {
        return name;
    }

    /**
     * The node this queue lives on, when that is another node of the cluster (null: this node).
     * A queue's definition is on every node; its messages only on its home node.
     */
    private volatile String remoteHome;

    private volatile RemoteQueues remote;
    /** For an exclusive queue: tells it from another of the same name across the cluster (null: not announced). */
    private volatile String incarnation;

    public String incarnation() {
        return incarnation;
    }

    public void setIncarnation(String id) {
        this.incarnation = id;
    }

    public void setRemoteHome(String node) {
        this.remoteHome = node;
        this.remote = node == null ? null : host.remoteQueues();
        if (node != null && remote == null) {
            throw new IllegalStateException("no data link to reach " + this + " on node " + node);
        }
    }

    /**
     * Whether the queue's messages can be reached now: always for a queue of this node; for a
     * queue living on another node, while the data link to that node is up.
     */
    public boolean isAvailable() {
        RemoteQueues r = remote;
        return r == null || r.isUp(remoteHome);
    }

    public String remoteHome() {
        return remoteHome;
    }

    public boolean isLocal() {
        return remoteHome == null;
    }

    /** The queue's key in the message store ("vhost\0name"). */
    public String storeKey() {
        return storeKey;
    }

    public boolean durable() {
        return durable;
    }

    public boolean exclusive() {
        return exclusive;
    }

    public boolean autoDelete() {
        return autoDelete;
    }

    public Object exclusiveOwner() {
        return exclusiveOwner;
    }

    public QueueArguments arguments() {
        return arguments;
    }

    /** Counts as of the last task this queue ran; for listings, not for protocol answers. */
    public Counts snapshot() {
        return snapshot;
    }

    // ------------------------------------------------------------------ operations

    /**
     * Enqueues a routed message. {@code accepted} (may be null) is told on the queue's thread whether
     * the queue took it (false only for x-overflow=reject-publish at the limit).
     *
     * @return true when this queue has more publishes waiting to be processed than it can absorb:
     *         the publisher should stop reading its socket until {@link #whenCaughtUp} runs (credit
     *         flow, as RabbitMQ's: a queue that falls behind slows its publishers down instead of
     *         letting its mailbox grow without bound)
     */
    public boolean publish(Message message, Consumer<Boolean> accepted) {
        return publish(message, accepted, null);
    }

    /**
     * As {@link #publish(Message, Consumer)}, charging the publishing connection's {@code credit}
     * (may be null) until this queue's thread has taken the message in.
     */
    public boolean publish(Message message, Consumer<Boolean> accepted, PublishCredit credit) {
        RemoteQueues r = remote;
        if (r != null) {
            return r.publish(this, message, accepted);
        }
        long weight = message.bodySize() + PUBLISH_OVERHEAD;
        long waiting = pendingPublishes.addAndGet(weight);
        if (credit != null) {
            credit.take(weight);
        }
        executor.execute(() -> {
            if (credit != null) {
                credit.give(weight);
            }
            if (pendingPublishes.addAndGet(-weight) < FLOW_RESUME && !flowWaiters.isEmpty()) {
                releaseFlowWaiters();
            }
            CompletableFuture<Boolean> result = enqueue(message);
            if (accepted != null) {
                result.whenComplete((ok, err) -> accepted.accept(err == null && ok));
            }
            dispatch();
            updateSnapshot();
        });
        return waiting > FLOW_PAUSE;
    }

    /** Runs {@code resume} (on the queue's thread or now) once the queue has caught up with its publishers. */
    public void whenCaughtUp(Runnable resume) {
        RemoteQueues r = remote;
        if (r != null) {
            r.whenCaughtUp(this, resume);
            return;
        }
        flowWaiters.add(resume);
        if (pendingPublishes.get() < FLOW_RESUME) {
            releaseFlowWaiters();
        }
    }

    private void releaseFlowWaiters() {
        Runnable r;
        while ((r = flowWaiters.poll()) != null) {
            r.run();
        }
    }

    public CompletableFuture<Void> addConsumer(QueueConsumer consumer, boolean exclusiveConsumer) {
        RemoteQueues r = remote;
        if (r != null) {
            return r.addConsumer(this, consumer, exclusiveConsumer);
        }
        return call(() -> {
            checkNotDeleted();
            if (!consumers.isEmpty() && (exclusiveConsumer || consumers.get(0).exclusive)) {
                throw new ChannelException(ReplyCode.ACCESS_REFUSED, "queue '" + name + "' in vhost '" + vhost
                        + "' in exclusive use");
            }
            ConsumerSlot slot = new ConsumerSlot(consumer, exclusiveConsumer);
            int at = 0;
            while (at < consumers.size() && consumers.get(at).consumer.priority() >= consumer.priority()) {
                at++;
            }
            consumers.add(at, slot);
            hadConsumer = true;
            touch();
            if (arguments.singleActiveConsumer) {
                slot.active = consumers.size() == 1;
            }
            return null;
        });
        // No dispatch here: the channel sends consume-ok first, then calls wakeup().
    }

    /** basic.cancel (or channel close): the consumer stops getting deliveries. */
    public CompletableFuture<Void> removeConsumer(QueueConsumer consumer) {
        RemoteQueues r = remote;
        if (r != null) {
            return r.removeConsumer(this, consumer);
        }
        return call(() -> {
            removeSlot(consumer);
            return null;
        });
    }

    private void removeSlot(QueueConsumer consumer) {
        for (int i = 0; i < consumers.size(); i++) {
            ConsumerSlot slot = consumers.get(i);
            if (slot.consumer == consumer) {
                consumers.remove(i);
                if (arguments.singleActiveConsumer && slot.active && !consumers.isEmpty()) {
                    // The next consumer in line (by priority, then arrival) takes over.
                    consumers.get(0).active = true;
                    consumers.get(0).consumer.activeChanged(true);
                }
                break;
            }
        }
        touch();
        if (consumers.isEmpty() && autoDelete && hadConsumer && !deleted) {
            // Deleted here, in the same turn: whatever the queue runs next (a redeclare's count, a consume)
            // already finds it gone, never a queue that is about to vanish.
            forceDelete();
            host.deleteUnused(this, "auto-delete: last consumer cancelled");
        }
        dispatch();
        updateSnapshot();
    }

    public CompletableFuture<GetResult> get(boolean ackRequired) {
        RemoteQueues r = remote;
        if (r != null) {
            return r.get(this, ackRequired);
        }
        CompletableFuture<GetResult> f = new CompletableFuture<>();
        executor.execute(() -> getNow(ackRequired, f));
        return f;
    }

    private void getNow(boolean ackRequired, CompletableFuture<GetResult> f) {
        try {
            checkNotDeleted();
            touch();
            if (ready.size() == 0 && diskCount > 0) {
                waitingForLoad.add(() -> getNow(ackRequired, f)); // page the backlog in first
                loadMore();
                return;
            }
            if (!expireHead()) {
                later(() -> getNow(ackRequired, f)); // a long run of expired heads goes first, in slices
                return;
            }
            QueueEntry e = nextLive();
            if (e != null) {
                if (ackRequired) {
                    unacked++;
                    markDelivered(e);
                } else {
                    host.adjustMemory(-e.message.bodySize());
                    forget(e);
                }
            }
            maybeLoadMore();
            updateSnapshot();
            GetResult result = new GetResult(e, readyCount());
            handOver(() -> f.complete(result));
            handOverTurn();
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    /** The client acknowledged these entries. */
    public void ack(List<QueueEntry> entries) {
        if (settledRemotely(entries, RemoteQueues.Settle.ACK)) {
            return;
        }
        executor.execute(() -> addBatch(new Batch(entries, SLICE, e -> {
            unacked--;
            host.adjustMemory(-e.message.bodySize());
            forget(e);
        }, this::updateSnapshot)));
    }

    /** Puts entries back (nack/reject with requeue, recover, channel closed with unacked deliveries). */
    public void requeue(List<QueueEntry> entries) {
        if (settledRemotely(entries, RemoteQueues.Settle.REQUEUE)) {
            return;
        }
        // Oldest first, a slice a turn: what a consumer gets between two slices is still in queue order.
        executor.execute(() -> addBatch(new Batch(entries, SLICE, e -> {
            unacked--;
            if (!deleted) {
                e.redelivered = true;
                ready.requeue(e);
            }
        }, this::dispatch)));
    }

    /** nack/reject without requeue: dead-letter (reason rejected) or drop. */
    public void reject(List<QueueEntry> entries) {
        if (settledRemotely(entries, RemoteQueues.Settle.REJECT)) {
            return;
        }
        executor.execute(() -> addBatch(new Batch(entries, DEAD_LETTER_SLICE, e -> {
            unacked--;
            discard(e, "rejected");
        }, this::updateSnapshot)));
    }

    /** A batch of settled entries (ack, requeue, reject) to work through, {@code slice} a turn. */
    private static final class Batch {
        final List<QueueEntry> entries;
        final int slice;
        final Consumer<QueueEntry> each;
        final Runnable afterSlice;
        int next;

        Batch(List<QueueEntry> entries, int slice, Consumer<QueueEntry> each, Runnable afterSlice) {
            this.entries = entries;
            this.slice = slice;
            this.each = each;
            this.afterSlice = afterSlice;
        }
    }

    /** Settled batches not yet worked through, in arrival order; the first is under way. */
    private final ArrayDeque<Batch> batches = new ArrayDeque<>();

    /**
     * Queues a batch behind those still under way, so batches are worked through in the order they
     * came (a channel hands a 100k nack over in parts: they must dead-letter in order).
     */
    private void addBatch(Batch b) {
        batches.add(b);
        if (batches.size() == 1) {
            workOnBatches();
        }
    }

    /** One slice of the first batch; the rest on a later turn. */
    private void workOnBatches() {
        Batch b = batches.peek();
        int end = Math.min(b.entries.size(), b.next + b.slice);
        try {
            for (int i = b.next; i < end; i++) {
                b.each.accept(b.entries.get(i));
            }
            b.afterSlice.run();
        } finally {
            b.next = end;
            if (end == b.entries.size()) {
                batches.poll();
            }
            if (!batches.isEmpty()) {
                later(this::workOnBatches);
            }
        }
    }

    /**
     * Runs {@code task} on the queue's executor after what is waiting there now. On an event loop
     * (a {@link ScheduledExecutorService}) it is scheduled with no delay, which runs it after the
     * loop's next I/O pass: a task it merely executed would run in the same pass of tasks, so a
     * chain of slices would keep the sockets waiting just as one long loop does.
     */
    private void later(Runnable task) {
        if (executor instanceof ScheduledExecutorService loop) {
            try {
                loop.schedule(task, 0, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("{}: executor shut down; the rest of a long operation is dropped", this);
            }
        } else {
            executor.execute(task);
        }
    }

    private boolean settledRemotely(List<QueueEntry> entries, RemoteQueues.Settle how) {
        RemoteQueues r = remote;
        if (r == null) {
            return false;
        }
        r.settle(this, entries, how);
        return true;
    }

    /** Re-runs dispatch: a consumer got credit back or its connection became writable. */
    public void wakeup() {
        RemoteQueues r = remote;
        if (r != null) {
            r.wakeup(this);
            return;
        }
        executor.execute(this::dispatch);
    }

    public CompletableFuture<Counts> counts() {
        RemoteQueues r = remote;
        if (r != null) {
            return r.counts(this, false);
        }
        return call(() -> {
            checkNotDeleted();
            return new Counts(readyCount(), unacked, consumers.size());
        });
    }

    private int readyCount() {
        return (int) Math.min(Integer.MAX_VALUE, ready.size() + diskCount);
    }

    /** Redeclare counts as use for x-expires. */
    public CompletableFuture<Counts> touchAndCount() {
        RemoteQueues r = remote;
        if (r != null) {
            return r.counts(this, true);
        }
        return call(() -> {
            checkNotDeleted();
            touch();
            return new Counts(readyCount(), unacked, consumers.size());
        });
    }

    public CompletableFuture<Integer> purge() {
        RemoteQueues r = remote;
        if (r != null) {
            return r.purge(this);
        }
        CompletableFuture<Integer> f = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                checkNotDeleted();
                int n = readyCount();
                host.adjustMemory(-ready.bytes());
                ReadyList dropped = ready.takeAll(); // the queue is empty from now on
                dropDiskBacklog();
                updateSnapshot();
                forgetInSlices(dropped, () -> f.complete(n));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Drops the store records of the entries in {@code dropped}, a slice a turn; then runs {@code done}. */
    private void forgetInSlices(ReadyList dropped, Runnable done) {
        QueueEntry e;
        for (int i = 0; i < SLICE && (e = dropped.poll()) != null; i++) {
            forget(e);
        }
        if (dropped.size() > 0) {
            later(() -> forgetInSlices(dropped, done));
        } else {
            done.run();
        }
    }

    /** What {@link #delete} answers when the queue was already deleted by something else. */
    public static final int ALREADY_DELETED = -1;

    /**
     * Marks the queue deleted after checking if-unused / if-empty (406 otherwise); consumers get a
     * cancel notification. Returns the number of ready messages dropped, or {@link #ALREADY_DELETED}
     * if something else deleted it first (that deleter removes the definition).
     */
    public CompletableFuture<Integer> delete(boolean ifUnused, boolean ifEmpty) {
        RemoteQueues r = remote;
        if (r != null) {
            return r.delete(this, ifUnused, ifEmpty);
        }
        return call(() -> {
            if (deleted) {
                return ALREADY_DELETED; // auto-delete, x-expires or another delete won: not an error
            }
            if (ifUnused && !consumers.isEmpty()) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, QueueArguments.describe(name, vhost)
                        + " in use");
            }
            if (ifEmpty && ready.size() > 0) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, QueueArguments.describe(name, vhost)
                        + " not empty");
            }
            return forceDelete();
        });
    }

    /**
     * True once the queue is certain to go (deleted, being deleted, or its exclusive owner closed) even if
     * its definition is still listed; safe from any thread.
     */
    public boolean isGoingAway() {
        return goingAway;
    }

    /** The queue will go (its exclusive owner closed): declares wait for its removal from now on. */
    public void markGoingAway() {
        goingAway = true;
    }

    /** Completes once the vhost no longer lists this queue (so its name can be declared anew). */
    public CompletableFuture<Void> whenRemoved() {
        return removed;
    }

    /** The vhost dropped this queue's definition. */
    public void markRemoved() {
        goingAway = true;
        removed.complete(null);
    }

    /** Deletes without conditions (vhost deletion, exclusive owner gone); returns dropped count. */
    public CompletableFuture<Integer> deleteNow() {
        if (remote != null) {
            goingAway = true;
            deleted = true; // the home node dropped its messages; only the definition was here
            return CompletableFuture.completedFuture(0);
        }
        return call(() -> deleted ? 0 : forceDelete());
    }

    private int forceDelete() {
        goingAway = true;
        int n = readyCount();
        if (persistentQueue || pagingEnabled) {
            store.removeRange(storeKey, 0, Long.MAX_VALUE);
        }
        diskCount = 0;
        diskEpoch++;
        deleted = true;
        host.adjustMemory(-ready.bytes());
        ready.clear();
        List<ConsumerSlot> gone = new ArrayList<>(consumers);
        consumers.clear();
        for (ConsumerSlot slot : gone) {
            slot.consumer.cancelledByQueue(this);
        }
        updateSnapshot();
        return n;
    }

    public List<Map<String, Object>> consumerInfo() {
        if (remote != null) {
            return List.of(); // listed by the home node
        }
        try {
            return call(() -> {
                List<Map<String, Object>> out = new ArrayList<>();
                for (ConsumerSlot slot : consumers) {
                    Map<String, Object> row = new LinkedHashMap<>(slot.consumer.info());
                    row.put("queue_name", name);
                    row.put("vhost", vhost);
                    row.put("exclusive", slot.exclusive);
                    row.put("active", slot.active);
                    out.add(row);
                }
                return out;
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    // ------------------------------------------------------------------ internals (queue thread)

    private <T> CompletableFuture<T> call(Supplier<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                f.complete(body.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private void checkNotDeleted() {
        if (deleted) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no " + QueueArguments.describe(name, vhost));
        }
    }

    private void touch() {
        lastUsedMillis = System.currentTimeMillis();
    }

    private CompletableFuture<Boolean> enqueue(Message m) {
        if (deleted) {
            return ACCEPTED; // deleted while the publish was in flight: dropped, as if unrouted
        }
        long now = System.currentTimeMillis();
        long ttl = messageTtl(m);
        long expiresAt = ttl < 0 ? Long.MAX_VALUE : now + ttl;
        if (ttl == 0 && consumersCanTakeNow()) {
            expiresAt = now + 1; // RabbitMQ: TTL 0 means "deliver now or never"
        } else if (ttl == 0) {
            deadLetterOrDrop(m, "expired");
            return ACCEPTED;
        }
        if (atLimit(m.bodySize())) {
            switch (arguments.overflow) {
                case REJECT_PUBLISH:
                    return REFUSED;
                case REJECT_PUBLISH_DLX:
                    deadLetterOrDrop(m, "maxlen");
                    return REFUSED;
                default:
                    break;
            }
        }
        QueueEntry e = new QueueEntry(nextSeq++, m, expiresAt);
        boolean persistent = persistentQueue && m.isPersistent();
        // Past PAGE_IN_MEMORY ready messages a persistent message stays on disk only (it is written
        // anyway); a transient one goes to disk only under memory pressure. Once part of the backlog
        // is on disk, every newcomer follows it there, to keep the order.
        boolean page = pagingEnabled && (diskCount > 0
                || ready.size() >= PAGE_IN_MEMORY && (persistent || host.memoryPressure()));
        CompletableFuture<Boolean> result = ACCEPTED;
        if (persistent || page) {
            CompletableFuture<Void> written = store(e, persistent);
            if (persistent) {
                result = written.handle((v, err) -> err == null);
            }
        }
        if (page) {
            if (diskCount++ == 0) {
                nextDiskSeq = e.seq;
            }
        } else {
            ready.addLast(e);
            host.adjustMemory(m.bodySize());
        }
        if (arguments.overflow == QueueArguments.Overflow.DROP_HEAD) {
            while (overLimit() && ready.size() > 0) {
                QueueEntry dropped = ready.pollOldestLowest();
                host.adjustMemory(-dropped.message.bodySize());
                forget(dropped);
                deadLetterOrDrop(dropped, "maxlen");
            }
        }
        if (expiresAt != Long.MAX_VALUE && !page) {
            scheduleExpiry(expiresAt);
        }
        return result;
    }

    /** Writes the entry's index record (and its body, unless the channel stored it already). */
    private CompletableFuture<Void> store(QueueEntry e, boolean persistent) {
        Message m = e.message;
        long id = m.storeId();
        boolean shared = m.sharedBody();
        if (id == 0 || !persistent) {
            // Not stored by the publisher (transient message paged out, or dead-lettered here): own copy.
            id = store.nextMessageId();
            shared = false;
            store.writeBody(id, new StoredMessage(m.exchange(), m.routingKey(), m.rawProperties(), m.body(),
                    m.publishedAtMillis()));
        }
        int flags = (persistent ? 0 : StoredEntry.TRANSIENT) | (shared ? StoredEntry.SHARED : 0);
        e.messageId = id;
        e.storeFlags = flags;
        return store.writeIndex(storeKey, new StoredEntry(e.seq, id, e.expiresAtMillis, flags));
    }

    private void dropDiskBacklog() {
        if (diskCount > 0) {
            store.removeRange(storeKey, nextDiskSeq, Long.MAX_VALUE);
            diskCount = 0;
            diskEpoch++;
        }
    }

    private void maybeLoadMore() {
        if (diskCount > 0 && ready.size() < PAGE_IN_MEMORY / 2) {
            loadMore();
        }
    }

    /** Pages the next part of the disk backlog into memory (read on the store's thread, applied here). */
    private void loadMore() {
        if (loading || diskCount == 0) {
            return;
        }
        loading = true;
        int epoch = diskEpoch;
        int want = (int) Math.min(PAGE_BATCH, diskCount);
        store.read(storeKey, nextDiskSeq, want).whenComplete((loaded, err) -> executor.execute(() -> {
            if (err != null) {
                loading = false;
                if (!deleted && epoch == diskEpoch) {
                    LOG.error("cannot page in messages of {}", this, err);
                }
                return;
            }
            applyLoaded(loaded, 0, want, epoch);
        }));
    }

    /** Puts paged-in entries from {@code from} on into memory, {@link #SLICE} a turn. */
    private void applyLoaded(List<MessageStore.Loaded> loaded, int from, int want, int epoch) {
        if (deleted || epoch != diskEpoch) {
            loading = false; // purged or deleted meanwhile: what is left of this batch is gone too
            return;
        }
        int end = Math.min(loaded.size(), from + SLICE);
        for (int i = from; i < end; i++) {
            MessageStore.Loaded l = loaded.get(i);
            if (l.entry().seq() < nextDiskSeq) {
                continue;
            }
            QueueEntry e = fromStore(l);
            ready.addLast(e);
            host.adjustMemory(e.message.bodySize());
            nextDiskSeq = l.entry().seq() + 1;
            diskCount--;
        }
        if (end < loaded.size()) {
            later(() -> applyLoaded(loaded, end, want, epoch));
            return;
        }
        loading = false;
        if (loaded.size() < want) {
            diskCount = 0; // the index ran out early: records without bodies were never confirmed
        }
        List<Runnable> resume = new ArrayList<>(waitingForLoad);
        waitingForLoad.clear();
        resume.forEach(Runnable::run);
        dispatch();
    }

    private static QueueEntry fromStore(MessageStore.Loaded l) {
        StoredMessage sm = l.message();
        BasicProperties props = BasicProperties.read(Unpooled.wrappedBuffer(sm.rawProperties()));
        Message m = new Message(sm.exchange(), sm.routingKey(), props, sm.rawProperties(), sm.body(), sm.publishedAt());
        StoredEntry se = l.entry();
        m.stored(se.messageId(), se.has(StoredEntry.SHARED));
        QueueEntry e = new QueueEntry(se.seq(), m, se.expiresAt());
        e.messageId = se.messageId();
        e.storeFlags = se.flags();
        e.redelivered = se.has(StoredEntry.DELIVERED);
        return e;
    }

    /** Boot: rebuilds this durable queue from what the store recovered. */
    public CompletableFuture<Void> recover(MessageStore.RecoveredQueue rq) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        executor.execute(() -> {
            nextSeq = rq.lastSeq() + 1;
            diskCount = rq.total() - rq.head().size();
            nextDiskSeq = rq.nextUnloadedSeq();
            recoverSlice(rq.head(), 0, f);
        });
        return f;
    }

    private void recoverSlice(List<MessageStore.Loaded> head, int from, CompletableFuture<Void> f) {
        try {
            int end = Math.min(head.size(), from + SLICE);
            for (int i = from; i < end; i++) {
                QueueEntry e = fromStore(head.get(i));
                ready.addLast(e);
                host.adjustMemory(e.message.bodySize());
            }
            if (end < head.size()) {
                later(() -> recoverSlice(head, end, f));
                return;
            }
            expireHead();
            updateSnapshot();
            f.complete(null);
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    private boolean consumersCanTakeNow() {
        return !consumers.isEmpty() && ready.size() == 0;
    }

    private long messageTtl(Message m) {
        long ttl = arguments.messageTtl;
        String expiration = m.properties().expiration();
        if (expiration != null) {
            try {
                long perMessage = Long.parseLong(expiration);
                if (perMessage >= 0) {
                    ttl = ttl < 0 ? perMessage : Math.min(ttl, perMessage);
                }
            } catch (NumberFormatException ignored) {
                // validated at publish; a bad value cannot reach here
            }
        }
        return ttl;
    }

    private boolean atLimit(long incomingBytes) {
        return (arguments.maxLength >= 0 && readyCount() >= arguments.maxLength)
                || (arguments.maxLengthBytes >= 0 && ready.bytes() + incomingBytes > arguments.maxLengthBytes);
    }

    private boolean overLimit() {
        return ready.size() > 0 && ((arguments.maxLength >= 0 && readyCount() > arguments.maxLength)
                || (arguments.maxLengthBytes >= 0 && ready.bytes() > arguments.maxLengthBytes));
    }

    /** Next ready entry that has not expired; expired heads are dead-lettered on the way. */
    private QueueEntry nextLive() {
        long now = System.currentTimeMillis();
        QueueEntry e;
        while ((e = ready.poll()) != null) {
            if (e.expiresAtMillis <= now) {
                discard(e, "expired");
                continue;
            }
            return e;
        }
        return null;
    }

    private void discard(QueueEntry e, String reason) {
        host.adjustMemory(-e.message.bodySize());
        forget(e);
        deadLetterOrDrop(e, reason);
    }

    /** The entry leaves this queue for good: drop its index record (and its body, unless shared). */
    private void forget(QueueEntry e) {
        if (e.messageId == 0 || deleted) {
            return;
        }
        boolean deleteBody = (e.storeFlags & StoredEntry.SHARED) == 0 || store.sharedRefs().release(e.messageId);
        store.removeIndex(storeKey, e.seq, e.messageId, deleteBody);
        e.messageId = 0;
    }

    /**
     * First delivery of a stored entry: remembered, so a restart redelivers it flagged redelivered.
     * The mark joins this turn's batch; the delivery must not leave before it is written.
     */
    private void markDelivered(QueueEntry e) {
        if (e.messageId != 0 && (e.storeFlags & (StoredEntry.DELIVERED | StoredEntry.TRANSIENT)) == 0) {
            e.storeFlags |= StoredEntry.DELIVERED;
            pendingMarks.add(new StoredEntry(e.seq, e.messageId, e.expiresAtMillis, e.storeFlags));
        }
    }

    /**
     * Hands a delivery (or get answer) over now when nothing is waiting for a DELIVERED mark;
     * otherwise holds it, in order, until {@link #handOverTurn()} has the marks written.
     */
    private void handOver(Runnable delivery) {
        if (pendingMarks.isEmpty() && heldHandOvers.isEmpty() && handOvers.isDone()) {
            delivery.run();
        } else {
            heldHandOvers.add(delivery);
        }
    }

    /**
     * End of a dispatch turn: writes the turn's marks in one store write and chains the held
     * hand-overs behind it and behind every earlier held hand-over, so they go out in queue order
     * (on the store's thread when they had to wait). A persistent delivery is thus in the store's
     * WAL as DELIVERED before the consumer sees it: a crash afterwards brings it back redelivered.
     */
    private void handOverTurn() {
        if (heldHandOvers.isEmpty()) {
            return;
        }
        CompletableFuture<Void> written = pendingMarks.isEmpty()
                ? handOvers : store.updateIndex(storeKey, List.copyOf(pendingMarks));
        pendingMarks.clear();
        List<Runnable> turn = heldHandOvers;
        heldHandOvers = new ArrayList<>();
        CompletableFuture<Void> before = handOvers.isDone() ? written : CompletableFuture.allOf(handOvers, written);
        handOvers = before.handle((v, err) -> {
            if (err != null) {
                LOG.warn("{}: cannot mark {} deliveries as delivered in the store; delivering anyway", this,
                        turn.size(), err);
            }
            for (Runnable r : turn) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: hand-over failed", this, e);
                }
            }
            return null;
        });
    }

    private void deadLetterOrDrop(QueueEntry e, String reason) {
        deadLetterOrDrop(e.message, reason);
    }

    private void deadLetterOrDrop(Message m, String reason) {
        if (arguments.deadLetterExchange != null) {
            host.deadLetter(this, m, reason);
        }
    }

    private void dispatch() {
        if (deleted) {
            return;
        }
        if (dispatchLater) {
            updateSnapshot(); // a dispatch slice is scheduled: this turn had its share
            return;
        }
        int delivered = 0;
        while (!consumers.isEmpty()) {
            if (!expireHead() || ready.size() == 0) {
                break;
            }
            if (delivered++ == SLICE) {
                dispatchLater(); // a consumer without prefetch limit takes a large backlog a slice a turn
                break;
            }
            ConsumerSlot slot = pickConsumer();
            if (slot == null) {
                break;
            }
            QueueEntry e = ready.poll();
            if (slot.consumer.ackRequired()) {
                unacked++;
                markDelivered(e);
            } else {
                host.adjustMemory(-e.message.bodySize());
                forget(e);
            }
            QueueConsumer consumer = slot.consumer;
            handOver(() -> consumer.deliver(this, e));
        }
        handOverTurn();
        expireHead();
        maybeLoadMore();
        updateSnapshot();
    }

    private void dispatchLater() {
        if (!dispatchLater) {
            dispatchLater = true;
            later(() -> {
                dispatchLater = false;
                dispatch();
            });
        }
    }

    private ConsumerSlot pickConsumer() {
        int n = consumers.size();
        if (arguments.singleActiveConsumer) {
            // The active slot is not necessarily first: a higher-priority consumer that joined later
            // sorts ahead of it but waits inactive.
            for (ConsumerSlot slot : consumers) {
                if (slot.active) {
                    return slot.consumer.tryReserve() ? slot : null;
                }
            }
            return null;
        }
        int start = 0;
        while (start < n) {
            int priority = consumers.get(start).consumer.priority();
            int end = start;
            while (end < n && consumers.get(end).consumer.priority() == priority) {
                end++;
            }
            int group = end - start;
            for (int k = 0; k < group; k++) {
                int idx = start + Math.floorMod(roundRobin + k, group);
                ConsumerSlot slot = consumers.get(idx);
                if (slot.consumer.tryReserve()) {
                    roundRobin = Math.floorMod(roundRobin + k + 1, group);
                    return slot;
                }
            }
            start = end;
        }
        return null;
    }

    /**
     * Drops/dead-letters expired messages at the head (RabbitMQ expires at the head only), at most
     * {@link #DEAD_LETTER_SLICE} a turn. Returns false when it stopped there with more expired heads waiting:
     * a later turn goes on (and dispatches), so nothing may be taken from the head meanwhile.
     */
    private boolean expireHead() {
        if (expireLater) {
            return false; // a slice of expiry is scheduled: this turn had its share
        }
        long now = System.currentTimeMillis();
        QueueEntry head;
        int expired = 0;
        while ((head = ready.peek()) != null && head.expiresAtMillis <= now) {
            if (expired++ == DEAD_LETTER_SLICE) {
                expireLater();
                return false;
            }
            ready.poll();
            discard(head, "expired");
        }
        if (head != null && head.expiresAtMillis != Long.MAX_VALUE) {
            scheduleExpiry(head.expiresAtMillis);
        }
        return true;
    }

    private void expireLater() {
        if (!expireLater) {
            expireLater = true;
            later(() -> {
                expireLater = false;
                if (expireHead()) {
                    dispatch();
                }
                updateSnapshot();
            });
        }
    }

    private void scheduleExpiry(long at) {
        if (at >= expiryCheckAt) {
            return;
        }
        expiryCheckAt = at;
        long delay = Math.max(0, at - System.currentTimeMillis());
        host.timer().schedule(() -> executor.execute(() -> {
            expiryCheckAt = Long.MAX_VALUE;
            if (expireHead()) {
                dispatch();
            }
            updateSnapshot();
        }), delay, TimeUnit.MILLISECONDS);
    }

    private void scheduleUnusedCheck() {
        if (deleted || remote != null) { // x-expires is the home node's to run
            return;
        }
        long due = lastUsedMillis + arguments.expires - System.currentTimeMillis();
        if (due <= 0 && consumers.isEmpty()) {
            LOG.debug("queue '{}' in vhost '{}' unused for {} ms: deleting (x-expires)", name, vhost, arguments.expires);
            forceDelete();
            host.deleteUnused(this, "x-expires");
            return;
        }
        long delay = Math.max(due, Math.min(arguments.expires, 1000));
        host.timer().schedule(() -> executor.execute(this::scheduleUnusedCheck), Math.max(delay, 1),
                TimeUnit.MILLISECONDS);
    }

    private void updateSnapshot() {
        snapshot = new Counts(readyCount(), unacked, consumers.size());
    }

    @Override
    public String toString() {
        return "queue '" + name + "' in vhost '" + vhost + "'";
    }
}
