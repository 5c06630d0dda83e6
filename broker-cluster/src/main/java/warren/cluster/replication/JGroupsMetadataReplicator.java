package warren.cluster.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.jgroups.ClusterChannel;
import warren.cluster.jgroups.ClusterException;
import warren.cluster.jgroups.ClusterListener;
import warren.core.metadata.HybridClock;
import warren.core.metadata.MetadataApplier;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataReplicator;
import warren.core.metadata.Version;
import warren.core.metadata.VersionedRecord;

/**
 * Definition changes agreed among the running members: a change is broadcast through the
 * cluster channel (total order, SEQUENCER) and applied by every member as it is delivered, so
 * all apply the same changes in the same order and a conflict (two nodes declaring one queue
 * differently) fails the same way everywhere. The submitting node answers its client with its
 * own application's result. Each change carries its origin's hybrid-clock reading: the version
 * of the records it writes.
 *
 * <p>As in RabbitMQ, the running nodes are the cluster: there is no majority rule, so a member
 * whose peers are down keeps accepting changes. Nodes that were apart merge record by record when
 * they meet again: a joiner merges the snapshot it receives into what it recorded and then
 * broadcasts what the cluster lacks ({@link #publishMerge()}); after a partition heals every node
 * broadcasts its whole state and all merge it. Tombstones are dropped by an agreed purge once
 * every member is running ({@link #purgeTombstones()}).
 */
public final class JGroupsMetadataReplicator implements MetadataReplicator, ClusterListener {
    private static final Logger LOG = LoggerFactory.getLogger(JGroupsMetadataReplicator.class);
    private static final byte CHANGE = 1;
    private static final byte MERGE = 2;
    private static final byte PURGE = 3;
    private static final byte STATUS = 4;
    private static final byte MERGE_ACK = 5;
    /** How often, and how many times, a healed side offers its state again until every member acknowledged it. */
    private static final long MERGE_RETRY_MS = 1_000;
    private static final int MERGE_ATTEMPTS = 30;

    /**
     * What a member says of itself: whether its app runs (or is still waiting for peers at a
     * restart), the peers that were running when it last stopped, and where its inter-node data
     * link listens ("host:port"; empty while it has none).
     */
    public record PeerStatus(boolean running, List<String> lastSeen, String link) {
        public PeerStatus(boolean running, List<String> lastSeen) {
            this(running, lastSeen, "");
        }
    }

    private final String nodeName;
    private final HybridClock clock = new HybridClock();
    private final AtomicLong operations = new AtomicLong();
    private final ConcurrentHashMap<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
    private volatile MetadataApplier applier;
    private volatile ClusterChannel channel;
    private volatile List<String> members = List.of();
    private volatile Consumer<List<String>> viewListener = m -> { };
    /** What this node had that the snapshot it joined with lacked: broadcast once joined. */
    private volatile List<VersionedRecord> unpublished = List.of();
    private final ConcurrentHashMap<String, PeerStatus> statuses = new ConcurrentHashMap<>();
    private volatile PeerStatus ownStatus;
    private final List<Runnable> statusListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The partition merge this node is offering its state for (0: none), and who has not acknowledged it. */
    private final AtomicLong mergeRounds = new AtomicLong();
    private volatile long mergeRound;
    private final java.util.Set<String> mergeUnacknowledged = ConcurrentHashMap.newKeySet();
    /**
     * Sends what is answered to a delivered message. Never from JGroups' delivery thread: SEQUENCER
     * holds a sender until the coordinator's broadcast of its message comes back, and that broadcast
     * queues behind the delivery the sender would be blocking.
     */
    private final java.util.concurrent.ThreadPoolExecutor outbox = new java.util.concurrent.ThreadPoolExecutor(
            1, 1, 5, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "warren-replication-outbox");
                t.setDaemon(true);
                return t;
            });

    {
        outbox.allowCoreThreadTimeOut(true); // idle between merges: no thread kept per replicator
    }

    public JGroupsMetadataReplicator(String nodeName) {
        this.nodeName = nodeName;
    }

    /** The channel this replicator broadcasts on (created with this replicator as its listener). */
    public void attach(ClusterChannel channel) {
        this.channel = channel;
    }

    @Override
    public void bind(MetadataApplier applier) {
        this.applier = applier;
        clock.observe(applier.latestVersionClock()); // a restarted node never writes older versions than it has
    }

    /** Told (on a cluster thread) whenever a member's status or the view changed. */
    public void onStatusChange(Runnable listener) {
        statusListeners.add(listener);
    }

    private void statusChanged() {
        for (Runnable r : statusListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("node {}: a status listener failed", nodeName, e);
            }
        }
    }

    /** Told the member list (node names, oldest first) at every view change. */
    public void onView(Consumer<List<String>> listener) {
        this.viewListener = listener;
    }

    /** The current view's node names, as the channel names them now (a joiner's name may arrive after its view). */
    public List<String> members() {
        ClusterChannel c = channel;
        return c != null ? c.members() : members;
    }

    @Override
    public CompletableFuture<Object> submit(MetadataCommand command) {
        long id = operations.incrementAndGet();
        CompletableFuture<Object> result = new CompletableFuture<>();
        pending.put(id, result);
        long stamp = clock.now();
        byte[] payload = CommandCodec.toBytes(b -> {
            b.writeByte(CHANGE);
            CommandCodec.str(b, nodeName);
            b.writeLong(id);
            b.writeLong(stamp);
            CommandCodec.write(b, command);
        });
        try {
            channel.broadcast(payload);
        } catch (ClusterException | RuntimeException e) {
            pending.remove(id);
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void onDeliver(String fromNode, byte[] payload) {
        ByteBuf b = Unpooled.wrappedBuffer(payload);
        byte type = b.readByte();
        String origin = CommandCodec.str(b);
        if (type == MERGE) {
            long round = b.readLong();
            List<VersionedRecord> records = CommandCodec.readRecords(b);
            records.forEach(r -> clock.observe(r.version().hlc()));
            if (!origin.equals(nodeName)) {
                applier.merge(records, origin);
                if (round != 0) {
                    outbox.execute(() -> acknowledgeMerge(origin, round));
                }
            }
            return;
        }
        if (type == MERGE_ACK) {
            String target = CommandCodec.str(b);
            long round = b.readLong();
            if (target.equals(nodeName) && round == mergeRound) {
                mergeUnacknowledged.remove(origin);
                synchronized (mergeUnacknowledged) {
                    mergeUnacknowledged.notifyAll();
                }
            }
            return;
        }
        if (type == STATUS) {
            statuses.put(origin, readStatus(b));
            statusChanged();
            return;
        }
        if (type == PURGE) {
            int purged = applier.purgeTombstones();
            LOG.debug("purged {} tombstones (agreed by {})", purged, origin);
            return;
        }
        long id = b.readLong();
        long stamp = b.readLong();
        MetadataCommand command = CommandCodec.read(b);
        clock.observe(stamp);
        Object value = null;
        RuntimeException error = null;
        try {
            value = applier.apply(command, new Version(stamp, origin));
        } catch (RuntimeException e) {
            error = e;
            if (!origin.equals(nodeName)) {
                LOG.debug("change {} from {} refused here too: {}", command, origin, e.getMessage());
            }
        }
        if (origin.equals(nodeName)) {
            CompletableFuture<Object> f = pending.remove(id);
            if (f != null) {
                if (error != null) {
                    f.completeExceptionally(error);
                } else {
                    f.complete(value);
                }
            }
        }
    }

    @Override
    public void onViewChange(List<String> newMembers, boolean merged) {
        members = List.copyOf(newMembers);
        statuses.keySet().retainAll(members); // a departed member's status goes; a returning one announces again
        if (mergeUnacknowledged.retainAll(members)) { // a departed member will not acknowledge a merge
            synchronized (mergeUnacknowledged) {
                mergeUnacknowledged.notifyAll();
            }
        }
        LOG.info("cluster members now {}{}", newMembers, merged ? " (partitions merged)" : "");
        try {
            viewListener.accept(members);
        } catch (RuntimeException e) {
            LOG.warn("node {}: recording the cluster view {} failed", nodeName, newMembers, e);
        }
        statusChanged();
        if (merged) {
            offerStateAfterMerge(newMembers);
        }
    }

    /**
     * Off JGroups' thread: each side of a healed partition offers its whole state (all merge it)
     * and tells the other side whether it runs (statuses travel with snapshots otherwise). A
     * broadcast sent while the merged view is still being installed can be lost, so the offer is
     * repeated, with this node's latest state, until every other member of the merged view has
     * acknowledged merging it, the view changes again, or the attempts run out. Merging is
     * idempotent: a repeat that brings nothing new changes nothing.
     */
    private void offerStateAfterMerge(List<String> view) {
        long round = mergeRounds.incrementAndGet();
        mergeUnacknowledged.clear();
        view.stream().filter(m -> !m.equals(nodeName)).forEach(mergeUnacknowledged::add);
        mergeRound = round;
        Thread t = new Thread(() -> {
            try {
                for (int attempt = 1; attempt <= MERGE_ATTEMPTS && mergeRound == round && channel.isOpen(); attempt++) {
                    broadcastMerge(applier.snapshot(), round);
                    sendStatus();
                    if (awaitMergeAcknowledged(round)) {
                        return;
                    }
                }
                if (mergeRound == round && channel.isOpen()) {
                    LOG.warn("node {}: members {} did not acknowledge this node's definitions after the partition"
                            + " merge; they get them again at the next merge or restart", nodeName, mergeUnacknowledged);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "warren-partition-merge");
        t.setDaemon(true);
        t.start();
    }

    /** True once every member asked in {@code round} acknowledged, false after one retry interval. */
    private boolean awaitMergeAcknowledged(long round) throws InterruptedException {
        long deadline = System.currentTimeMillis() + MERGE_RETRY_MS;
        synchronized (mergeUnacknowledged) {
            while (mergeRound == round && !mergeUnacknowledged.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                mergeUnacknowledged.wait(left);
            }
        }
        return true;
    }

    private void acknowledgeMerge(String origin, long round) {
        byte[] payload = CommandCodec.toBytes(b -> {
            b.writeByte(MERGE_ACK);
            CommandCodec.str(b, nodeName);
            CommandCodec.str(b, origin);
            b.writeLong(round);
        });
        try {
            channel.broadcast(payload);
        } catch (ClusterException | RuntimeException e) {
            LOG.debug("node {} could not acknowledge the definitions of {}: {}", nodeName, origin, e.toString());
        }
    }

    /**
     * Tells every member (now and at every later view change) whether this node's app runs or
     * waits for peers, and which peers were running when it last stopped.
     */
    public void announce(boolean running, List<String> lastSeen) {
        announce(running, lastSeen, "");
    }

    /** As above, with the address of this node's data link ("host:port"). */
    public void announce(boolean running, List<String> lastSeen, String link) {
        PeerStatus own = new PeerStatus(running, List.copyOf(lastSeen), link);
        ownStatus = own;
        statuses.put(nodeName, own);
        sendStatus();
    }

    /**
     * Sends this node's latest status again. Status broadcasts are fire-and-forget: one lost while a
     * view changes (logged at DEBUG) would leave the other members believing this node still waits
     * for its peers, so the server repeats it every few seconds; a repeat costs one small message.
     */
    public void reannounce() {
        sendStatus();
    }

    /** Sends the status as it is now; serialised, so the last status sent is always the latest. */
    private synchronized void sendStatus() {
        PeerStatus own = ownStatus;
        if (own != null) {
            broadcastStatus(own);
        }
    }

    /** What each member of the current view said of itself; members that said nothing yet are absent. */
    public Map<String, PeerStatus> statuses() {
        return Map.copyOf(statuses);
    }

    /** The members of the current view, except those that said they are still waiting for peers. */
    public List<String> runningMembers() {
        return members().stream().filter(m -> {
            PeerStatus s = statuses.get(m);
            return s == null || s.running();
        }).toList();
    }

    private void broadcastStatus(PeerStatus own) {
        byte[] payload = CommandCodec.toBytes(b -> {
            b.writeByte(STATUS);
            CommandCodec.str(b, nodeName);
            writeStatus(b, own);
        });
        try {
            channel.broadcast(payload);
        } catch (ClusterException | RuntimeException e) {
            LOG.debug("node {} could not announce its status: {}", nodeName, e.toString());
        }
    }

    /**
     * Broadcasts what this node had that the cluster it joined lacked (found while merging the
     * snapshot), so every member merges it; nothing when there is none. Call once joined.
     */
    public void publishMerge() {
        List<VersionedRecord> records = unpublished;
        unpublished = List.of();
        if (!records.isEmpty()) {
            LOG.info("node {} offers the cluster {} definition records it lacks or has older", nodeName,
                    records.size());
            broadcastMerge(records, 0);
        }
    }

    /** Broadcasts records for every member to merge; a nonzero round asks them to acknowledge. */
    private void broadcastMerge(List<VersionedRecord> records, long round) {
        byte[] payload = CommandCodec.toBytes(b -> {
            b.writeByte(MERGE);
            CommandCodec.str(b, nodeName);
            b.writeLong(round);
            CommandCodec.writeRecords(b, records);
        });
        try {
            channel.broadcast(payload);
        } catch (ClusterException | RuntimeException e) {
            LOG.warn("node {} could not offer its definitions for merging: {}", nodeName, e.toString());
        }
    }

    /** Asks every running member to drop its tombstones (call only when every member is running). */
    public void purgeTombstones() throws ClusterException {
        channel.broadcast(CommandCodec.toBytes(b -> {
            b.writeByte(PURGE);
            CommandCodec.str(b, nodeName);
        }));
    }

    /** The definitions, then what every member said of itself (statuses are state, not in the change log). */
    @Override
    public byte[] snapshot() {
        List<VersionedRecord> records = applier.snapshot();
        Map<String, PeerStatus> known = Map.copyOf(statuses);
        return CommandCodec.toBytes(b -> {
            CommandCodec.writeRecords(b, records);
            b.writeInt(known.size());
            known.forEach((node, status) -> {
                CommandCodec.str(b, node);
                writeStatus(b, status);
            });
        });
    }

    private static void writeStatus(ByteBuf b, PeerStatus status) {
        b.writeBoolean(status.running());
        b.writeInt(status.lastSeen().size());
        status.lastSeen().forEach(n -> CommandCodec.str(b, n));
        CommandCodec.str(b, status.link());
    }

    private static PeerStatus readStatus(ByteBuf b) {
        boolean running = b.readBoolean();
        int n = b.readInt();
        List<String> seen = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            seen.add(CommandCodec.str(b));
        }
        return new PeerStatus(running, List.copyOf(seen), CommandCodec.str(b));
    }

    @Override
    public void restore(byte[] snapshot) {
        ByteBuf in = Unpooled.wrappedBuffer(snapshot);
        List<VersionedRecord> records = CommandCodec.readRecords(in);
        int known = in.readInt();
        for (int i = 0; i < known; i++) {
            String node = CommandCodec.str(in);
            statuses.put(node, readStatus(in));
        }
        records.forEach(r -> clock.observe(r.version().hlc()));
        statusChanged();
        unpublished = applier.merge(records, "the cluster");
        LOG.info("merged the cluster's definitions ({} records); {} records here are newer or missing there",
                records.size(), unpublished.size());
    }
}
