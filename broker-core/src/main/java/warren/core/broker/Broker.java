package warren.core.broker;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.queue.SerialExecutor;
import warren.core.security.AccessKind;
import warren.core.security.PasswordHash;
import warren.core.security.Permission;
import warren.core.security.User;
import warren.core.metadata.ClusterMembershipHook;
import warren.core.metadata.LocalMetadataReplicator;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataReplicator;
import warren.core.store.DefinitionCodec;
import warren.core.store.DefinitionRecord;
import warren.core.store.InMemoryMessageStore;
import warren.core.store.MessageStore;
import warren.core.queue.MessageQueue;
import java.util.concurrent.CompletableFuture;

/**
 * One node's broker: vhosts, users and permissions, the memory alarm, the open connections.
 * Thread-safe; created once by the daemon and shared by every connection.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    /** What the broker knows of an open connection, for list_connections / list_consumers. */
    public interface ConnectionView {
        Map<String, Object> info();

        List<Map<String, Object>> consumers();

        /** Server-initiated close (e.g. the vhost was deleted or the user removed). */
        void forceClose(String reason);

        String vhost();

        String user();
    }

    private final BrokerSettings settings;
    private final MessageStore store;
    private final MetadataReplicator replicator;
    private final BrokerApplier applier;
    private volatile ClusterMembershipHook membershipHook;
    private volatile CompletableFuture<Void> lastDefinitionWrite = CompletableFuture.completedFuture(null);
    private final DefinitionVersions versions = new DefinitionVersions();
    /** The version given to the records written by the change being applied on this thread, if any. */
    private final ThreadLocal<warren.core.metadata.Version> writing = new ThreadLocal<>();
    private final long startedAt = System.currentTimeMillis();
    private final ConcurrentHashMap<String, VirtualHost> vhosts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, User> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Permission> permissions = new ConcurrentHashMap<>(); // vhost + \0 + user
    private final Set<ConnectionView> connections = ConcurrentHashMap.newKeySet();
    private final MemoryMonitor memory;
    private final ScheduledExecutorService timer;
    private final Supplier<Executor> queueExecutors;
    private final ExecutorService ownPool;
    private final BrokerAdmin admin = new LocalAdmin(this);
    private final ResourceLimits limits = new ResourceLimits();
    private final warren.core.link.QueueLinks links = new warren.core.link.QueueLinks(this);
    private volatile java.util.function.Supplier<List<String>> placementNodes = List::of;
    private volatile String queueLeaderLocator = "client-local";
    private final Map<String, java.util.function.Consumer<warren.core.message.Message>> replyTargets =
            new ConcurrentHashMap<>();

    public Broker(BrokerSettings settings) {
        this(settings, null, new InMemoryMessageStore());
    }

    public Broker(BrokerSettings settings, Supplier<Executor> queueExecutors) {
        this(settings, queueExecutors, new InMemoryMessageStore());
    }

    /**
     * @param queueExecutors supplies one serial executor per new queue (the daemon passes its I/O
     *                       event loops); null makes the broker use its own small pool
     * @param store          where durable definitions and persistent messages live; recovered here
     */
    public Broker(BrokerSettings settings, Supplier<Executor> queueExecutors, MessageStore store) {
        this(settings, queueExecutors, store, new LocalMetadataReplicator(settings.nodeName()));
    }

    /**
     * @param replicator where definition changes are agreed: {@link LocalMetadataReplicator} for a
     *                   standalone node, the cluster's replicator for a clustered one
     */
    public Broker(BrokerSettings settings, Supplier<Executor> queueExecutors, MessageStore store,
                  MetadataReplicator replicator) {
        this.settings = settings;
        this.store = store;
        this.replicator = replicator;
        this.applier = new BrokerApplier(this);
        this.memory = new MemoryMonitor(settings.memoryHighWatermarkRelative(), Runtime.getRuntime().maxMemory(),
                settings.nodeName());
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemonThread(r, "warren-timer"));
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        if (queueExecutors == null) {
            AtomicInteger n = new AtomicInteger();
            this.ownPool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                    r -> daemonThread(r, "warren-queue-" + n.incrementAndGet()));
            this.queueExecutors = () -> new SerialExecutor(ownPool);
        } else {
            this.ownPool = null;
            this.queueExecutors = queueExecutors;
        }
        recover();
        replicator.bind(applier); // after recovery: the replicator's clock starts past every stored version
        sampleLiveHeap();
        if (settings.diskFreeLimitBytes() > 0 && store.isDurable()) {
            timer.scheduleWithFixedDelay(this::sampleDiskFree, 0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
        timer.scheduleWithFixedDelay(this::sampleLiveHeap, 500, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** disk_free_limit: publishers are blocked while the data directory's disk has less free space. */
    private void sampleDiskFree() {
        try {
            java.nio.file.Path dir = settings.dataDir();
            while (dir != null && !java.nio.file.Files.exists(dir)) {
                dir = dir.getParent();
            }
            if (dir == null) {
                return;
            }
            long free = java.nio.file.Files.getFileStore(dir).getUsableSpace();
            boolean low = free < settings.diskFreeLimitBytes();
            if (low != diskLow) {
                diskLow = low;
                LOG.warn(low ? "disk alarm set: {} bytes free in {} is below disk_free_limit {}; publishers are blocked"
                        : "disk alarm cleared: {} bytes free in {} (disk_free_limit {})", free, dir,
                        settings.diskFreeLimitBytes());
                memory.setDiskAlarm(low);
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("cannot read free disk space", e);
        }
    }

    private volatile boolean diskLow;

    /** Since when (nanoTime) only the heap figure holds the memory alarm; 0 when it does not. */
    private long heapHoldsSince;
    private long nudgedAt;
    private long nudgeBackoff = NUDGE_MIN;
    private static final long HEAP_HOLD_BEFORE_NUDGE = 2_000_000_000L;
    private static final long NUDGE_MIN = 5_000_000_000L;
    private static final long NUDGE_MAX = 60_000_000_000L;

    /**
     * Samples heap in use (each heap pool's current use, eden as after the last collection) and
     * direct memory (JDK direct buffers plus Netty's own direct allocations) for the memory alarm.
     * The old generation's use includes garbage until the collector gets to it, which it may not
     * do for a long time once publishers are blocked: when the heap figure alone has held the
     * alarm for 2 s (the queued bytes and direct memory are below the mark), a collection is asked
     * for, then again after 5 s, backing off to once a minute while it does not clear the alarm.
     */
    private void sampleLiveHeap() {
        long gcs = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += Math.max(0, gc.getCollectionCount());
        }
        long heap = 0;
        for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != java.lang.management.MemoryType.HEAP) {
                continue;
            }
            java.lang.management.MemoryUsage after = pool.getCollectionUsage();
            boolean eden = pool.getName().contains("Eden");
            heap += eden && gcs > 0 && after != null ? after.getUsed() : pool.getUsage().getUsed();
        }
        memory.setSampled(heap, directMemoryUsed());
        long now = System.nanoTime();
        boolean heapHolds = memory.memoryAlarm()
                && memory.usedBytes() + memory.directBytes() <= memory.limitBytes() - memory.limitBytes() / 20;
        if (!heapHolds) {
            heapHoldsSince = 0;
            if (!memory.memoryAlarm()) {
                nudgeBackoff = NUDGE_MIN;
            }
            return;
        }
        if (heapHoldsSince == 0) {
            heapHoldsSince = now;
        }
        if (now - heapHoldsSince > HEAP_HOLD_BEFORE_NUDGE && (nudgedAt == 0 || now - nudgedAt > nudgeBackoff)) {
            if (nudgedAt != 0 && now - nudgedAt <= 2 * nudgeBackoff) {
                nudgeBackoff = Math.min(NUDGE_MAX, nudgeBackoff * 2); // the last one did not clear it
            }
            nudgedAt = now;
            LOG.debug("memory alarm held by the heap figure alone for 2 s: requesting a collection");
            System.gc();
        }
    }

    /**
     * Direct memory in use: the larger of the JDK's direct buffer count and Netty's own counter of
     * its direct allocations (its pooled arenas' chunks). They overlap (on Java 17 Netty's chunks
     * appear in both), so they are not added; Netty's counter is -1 where it does not keep one.
     */
    static long directMemoryUsed() {
        long direct = 0;
        for (java.lang.management.BufferPoolMXBean pool
                : ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                direct += Math.max(0, pool.getMemoryUsed());
            }
        }
        return Math.max(direct, io.netty.util.internal.PlatformDependent.usedDirectMemory());
    }

    private static Thread daemonThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** First boot (nothing stored): the default vhost, user and permissions, persisted. */
    private void bootDefaults() {
        LOG.info("first start: creating vhost '{}' and user '{}'", settings.defaultVhost(), settings.defaultUser());
        vhosts.put(settings.defaultVhost(), new VirtualHost(settings.defaultVhost(), this));
        persist(DefinitionCodec.vhost(new DefinitionCodec.VhostDef(settings.defaultVhost())));
        User guest = new User(settings.defaultUser(), PasswordHash.hash(settings.defaultPass()),
                settings.defaultUserTags());
        users.put(guest.name(), guest);
        persist(DefinitionCodec.user(new DefinitionCodec.UserDef(guest.name(), guest.passwordHash(), guest.tags())));
        Permission p = new Permission(settings.defaultUser(), settings.defaultVhost(), ".*", ".*", ".*");
        putPermission(p);
        persist(DefinitionCodec.permission(new DefinitionCodec.PermissionDef(p.vhost(), p.user(), p.configure(),
                p.write(), p.read())));
        lastDefinitionWrite.join();
    }

    /** Rebuilds definitions and queues from the store (or creates the defaults on first boot). */
    private void recover() {
        List<DefinitionRecord> records = store.loadDefinitions();
        if (records.isEmpty()) {
            bootDefaults();
            store.dropOtherQueues(Set.of());
            return;
        }
        long started = System.nanoTime();
        records = new ArrayList<>(records);
        records.sort(java.util.Comparator.comparingInt(r -> r.kind().code()));
        List<MessageQueue> durableQueues = new ArrayList<>();
        for (DefinitionRecord r : records) {
            if (r.kind() == DefinitionRecord.Kind.VERSION) {
                versions.load(r);
                continue;
            }
            Object d = DefinitionCodec.decode(r);
            if (d instanceof DefinitionCodec.VhostDef v) {
                vhosts.put(v.name(), new VirtualHost(v.name(), this));
            } else if (d instanceof DefinitionCodec.UserDef u) {
                users.put(u.name(), new User(u.name(), u.passwordHash(), u.tags()));
            } else if (d instanceof DefinitionCodec.PermissionDef p) {
                putPermission(new Permission(p.user(), p.vhost(), p.configure(), p.write(), p.read()));
            } else if (d instanceof DefinitionCodec.ExchangeDef e && vhosts.containsKey(e.vhost())) {
                vhosts.get(e.vhost()).restoreExchange(e);
            } else if (d instanceof DefinitionCodec.QueueDef q && vhosts.containsKey(q.vhost())) {
                MessageQueue restored = vhosts.get(q.vhost()).restoreQueue(q);
                if (restored.isLocal()) {
                    durableQueues.add(restored); // a queue homed elsewhere has its messages there
                }
            } else if (d instanceof DefinitionCodec.BindingDef b && vhosts.containsKey(b.vhost())) {
                vhosts.get(b.vhost()).restoreBinding(b);
            } else if (d instanceof DefinitionCodec.LimitsDef l) {
                if (r.kind() == DefinitionRecord.Kind.VHOST_LIMITS && vhosts.containsKey(l.owner())) {
                    limits.putVhost(l.owner(), l.limits());
                } else if (r.kind() == DefinitionRecord.Kind.USER_LIMITS && users.containsKey(l.owner())) {
                    limits.putUser(l.owner(), l.limits());
                }
            }
        }
        Set<String> keys = new java.util.HashSet<>();
        for (MessageQueue q : durableQueues) {
            keys.add(q.storeKey());
        }
        store.dropOtherQueues(keys);
        long messages = 0;
        for (MessageQueue q : durableQueues) {
            long t = System.nanoTime();
            MessageStore.RecoveredQueue rq = store.recover(q.storeKey(), MessageQueue.PAGE_IN_MEMORY);
            q.recover(rq).join();
            messages += rq.total();
            if (rq.total() > 0) {
                LOG.info("recovered {} messages of {} in {} ms", rq.total(), q, (System.nanoTime() - t) / 1_000_000);
            }
        }
        LOG.info("recovered {} vhosts, {} users, {} durable queues with {} messages in {} ms", vhosts.size(),
                users.size(), durableQueues.size(), messages, (System.nanoTime() - started) / 1_000_000);
    }

    public MessageStore store() {
        return store;
    }

    /**
     * Installs what records cluster membership commands (the cluster layer's state); without one,
     * such commands are accepted and ignored (a broker outside any cluster).
     */
    public void membershipHook(ClusterMembershipHook hook) {
        this.membershipHook = hook;
    }

    ClusterMembershipHook membershipHook() {
        return membershipHook;
    }

    /**
     * Submits a definition change; the future completes with this node's result once the change
     * is agreed and applied here (at once on a standalone node).
     */
    public CompletableFuture<Object> submit(MetadataCommand command) {
        return replicator.submit(command);
    }

    /**
     * Stores a definition record; the returned future completes when it is synced. Inside an
     * agreed change ({@link #writingAt}) the record's version is stored with it.
     */
    CompletableFuture<Void> persist(DefinitionRecord record) {
        CompletableFuture<Void> f = store.putDefinition(record);
        warren.core.metadata.Version v = writing.get();
        if (v != null) {
            f = store.putDefinition(versions.put(DefinitionVersions.key(record.kind().code(), record.key()), v, false));
        }
        lastDefinitionWrite = f;
        return f;
    }

    /** Deletes a stored definition record; inside an agreed change it leaves a tombstone with the change's version. */
    CompletableFuture<Void> unpersist(DefinitionRecord.Kind kind, String key) {
        CompletableFuture<Void> f = store.deleteDefinition(kind, key);
        warren.core.metadata.Version v = writing.get();
        if (v != null) {
            f = store.putDefinition(versions.put(DefinitionVersions.key(kind.code(), key), v, true));
        }
        lastDefinitionWrite = f;
        return f;
    }

    /** Stores only a version (the record itself is unchanged, or absent for a tombstone). */
    CompletableFuture<Void> persistVersion(String versionKey, warren.core.metadata.Version v, boolean deleted) {
        CompletableFuture<Void> f = store.putDefinition(versions.put(versionKey, v, deleted));
        lastDefinitionWrite = f;
        return f;
    }

    /** Drops the stored tombstones (every member has seen them). */
    int purgeTombstones() {
        List<String> purged = versions.purgeTombstones();
        for (String k : purged) {
            lastDefinitionWrite = store.deleteDefinition(DefinitionRecord.Kind.VERSION, k);
        }
        return purged.size();
    }

    /** Runs {@code change} with {@code version} given to every record it writes or deletes. */
    <T> T writingAt(warren.core.metadata.Version version, java.util.function.Supplier<T> change) {
        warren.core.metadata.Version before = writing.get();
        writing.set(version);
        try {
            return change.get();
        } finally {
            if (before == null) {
                writing.remove();
            } else {
                writing.set(before);
            }
        }
    }

    /** The definitions with their versions and the tombstones (what a joiner receives). */
    public List<warren.core.metadata.VersionedRecord> definitionsSnapshot() {
        return applier.snapshot();
    }

    /** How many deletions are remembered as tombstones (until every member has seen them). */
    public int tombstoneCount() {
        return versions.tombstones().size();
    }

    BrokerApplier applier() {
        return applier;
    }

    DefinitionVersions versions() {
        return versions;
    }

    /**
     * The most recent definition write. Writes complete in submission order, so a channel that
     * changed definitions answers its client once this completes.
     */
    public CompletableFuture<Void> lastDefinitionWrite() {
        return lastDefinitionWrite;
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerAdmin admin() {
        return admin;
    }

    /** Vhost and user limits (set_vhost_limits, set_user_limits) and the counts they are checked against. */
    public ResourceLimits limits() {
        return limits;
    }

    public MemoryMonitor memory() {
        return memory;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Runs {@code task} once after a delay on the broker's timer thread. */
    public java.util.concurrent.ScheduledFuture<?> timerSchedule(Runnable task, long delay, java.util.concurrent.TimeUnit unit) {
        return timer.schedule(task, delay, unit);
    }

    /** Direct reply-to: channels that consume amq.rabbitmq.reply-to, by their routing token. */
    public Map<String, java.util.function.Consumer<warren.core.message.Message>> replyTargets() {
        return replyTargets;
    }

    Executor nextQueueExecutor() {
        return queueExecutors.get();
    }

    public long startedAtMillis() {
        return startedAt;
    }

    // ------------------------------------------------------------------ queues on other nodes

    /** The inter-node data link's broker side: hand it to the transport. */
    public warren.core.link.QueueLinks links() {
        return links;
    }

    public warren.core.queue.RemoteQueues remoteQueues() {
        return links;
    }

    /**
     * Where new queues are placed ({@code queue_leader_locator}: {@code client-local}, the default,
     * or {@code balanced}) and the nodes that may take them (running, reachable; this node included).
     */
    public void queuePlacement(String locator, java.util.function.Supplier<List<String>> nodes) {
        this.queueLeaderLocator = locator;
        this.placementNodes = nodes;
    }

    public String queueLeaderLocator() {
        return queueLeaderLocator;
    }

    /**
     * The home node for a new queue declared on this node: this node for {@code client-local};
     * for {@code balanced} the running node with the fewest queues (ties go to this node, then by
     * name), as RabbitMQ balances queue leaders.
     */
    public String placeQueue(String locator) {
        String self = settings.nodeName();
        String how = locator == null ? queueLeaderLocator : locator;
        if (!"balanced".equals(how)) {
            return self;
        }
        List<String> nodes = placementNodes.get();
        if (nodes.isEmpty()) {
            return self;
        }
        Map<String, Integer> count = new java.util.HashMap<>();
        for (String n : nodes) {
            count.put(n, 0);
        }
        count.putIfAbsent(self, 0);
        for (VirtualHost v : vhosts.values()) {
            for (warren.core.queue.MessageQueue q : v.queues()) {
                count.computeIfPresent(q.isLocal() ? self : q.remoteHome(), (k, c) -> c + 1);
            }
        }
        String best = self;
        for (String n : new java.util.TreeSet<>(count.keySet())) {
            if (count.get(n) < count.get(best)) {
                best = n;
            }
        }
        return best;
    }

    /**
     * A node left the cluster: its transient (non-durable) queues are gone with it, here too, as in
     * RabbitMQ. Durable queues stay, listed as down, until their node returns.
     */
    public int dropTransientQueuesOf(String node) {
        int dropped = 0;
        for (VirtualHost v : vhosts.values()) {
            dropped += v.dropTransientQueuesOf(node);
        }
        if (dropped > 0) {
            LOG.info("node {} left: its {} transient queue(s) were deleted", node, dropped);
        }
        return dropped;
    }

    // ------------------------------------------------------------------ access

    public VirtualHost vhost(String name) {
        return vhosts.get(name);
    }

    Map<String, VirtualHost> vhostMap() {
        return vhosts;
    }

    Map<String, User> userMap() {
        return users;
    }

    Map<String, Permission> permissionMap() {
        return permissions;
    }

    static String permissionKey(String vhost, String user) {
        return vhost + '\0' + user;
    }

    void putPermission(Permission p) {
        permissions.put(permissionKey(p.vhost(), p.user()), p);
    }

    /** Checks a user's password; null if unknown user or wrong password. */
    public User authenticate(String username, String password) {
        User u = users.get(username);
        return u != null && u.checkPassword(password) ? u : null;
    }

    public boolean isLoopbackOnly(String username) {
        return settings.loopbackUsers().contains(username);
    }

    public boolean hasAnyPermission(String vhost, String user) {
        return permissions.containsKey(permissionKey(vhost, user));
    }

    /** 403 ACCESS_REFUSED unless {@code user} may do {@code kind} on {@code resource} in {@code vhost}. */
    public void checkAccess(String vhost, String user, AccessKind kind, String resourceKind, String resource) {
        Permission p = permissions.get(permissionKey(vhost, user));
        String name = resource.isEmpty() && resourceKind.equals("exchange") ? "amq.default" : resource;
        if (p == null || !p.allows(kind, name)) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "access to " + resourceKind + " '" + name
                    + "' in vhost '" + vhost + "' refused for user '" + user + "'");
        }
    }

    // ------------------------------------------------------------------ connections

    public void register(ConnectionView c) {
        connections.add(c);
    }

    public void unregister(ConnectionView c) {
        connections.remove(c);
    }

    Set<ConnectionView> connections() {
        return connections;
    }

    List<Map<String, Object>> connectionRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ConnectionView c : connections) {
            rows.add(c.info());
        }
        return rows;
    }

    Map<String, Object> statusMap() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("node", settings.nodeName());
        s.put("product_name", "Warren");
        s.put("product_version", BrokerSettings.VERSION);
        s.put("java_version", System.getProperty("java.version"));
        s.put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000);
        s.put("pid", ProcessHandle.current().pid());
        Runtime rt = Runtime.getRuntime();
        s.put("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        s.put("heap_max_bytes", rt.maxMemory());
        s.put("queued_message_bytes", memory.usedBytes());
        s.put("vm_memory_high_watermark_bytes", memory.limitBytes());
        s.put("alarms", memory.inAlarm() ? List.of("memory") : List.of());
        s.put("connections", connections.size());
        s.put("vhosts", new ArrayList<>(new LinkedHashSet<>(vhosts.keySet())));
        s.put("processors", ManagementFactory.getOperatingSystemMXBean().getAvailableProcessors());
        return s;
    }

    @Override
    public void close() {
        store.close();
        timer.shutdownNow();
        if (ownPool != null) {
            ownPool.shutdownNow();
        }
    }
}
