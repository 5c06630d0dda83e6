package warren.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.ClusterSettings;
import warren.cluster.jgroups.ClusterChannel;
import warren.cluster.jgroups.ClusterException;
import warren.cluster.jgroups.ClusterJoinRefusedException;
import warren.cluster.link.DataLinkTransport;
import warren.cluster.membership.ClusterState;
import warren.cluster.replication.JGroupsMetadataReplicator;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.core.metadata.MetadataCommand;
import warren.core.store.MessageStore;
import warren.core.store.RamDefinitionsStore;
import warren.core.store.rocksdb.RocksDbMessageStore;
import warren.server.config.ServerSettings;
import warren.server.config.WarrenConfig;
import warren.server.netty.AmqpServer;
import warren.server.netty.EventLoops;

/**
 * The "app" of a node (RabbitMQ's {@code rabbit} application): event loops, the store, the broker,
 * the cluster channel with its replicated definitions, and the AMQP listener. {@code stop_app} stops
 * it while the node (control listener, registry entry) stays up; {@code start_app} starts a new one.
 *
 * <p>The app is always cluster-capable: it opens a {@link ClusterChannel} named {@value #CLUSTER}
 * on the dist port, seeded with the pending join target or the members recorded in the cluster
 * state. With no seeds it forms a cluster of one.
 *
 * <p>At a blank node's first boot with {@code cluster_formation.peer_discovery_backend} set, the
 * channel is opened by the formation flow instead ({@link ClusterFormation}): only the seed may form
 * a new cluster; every other node retries until it is in a view with the seed or a running candidate.
 */
final class BrokerApp implements AutoCloseable {

    static final String CLUSTER = "warren";
    /** JOIN attempts of a formation seed probing candidates that are not known to run a cluster. */
    private static final int SEED_JOIN_ATTEMPTS = 2;
    private static final Logger LOG = LoggerFactory.getLogger(BrokerApp.class);
    private static final Duration AGREE_TIMEOUT = Duration.ofSeconds(30);
    private static final long STATUS_REPEAT_SECONDS = 5;
    private static final long PURGE_INTERVAL_SECONDS = Long.getLong("warren.tombstone.purge.seconds", 30);

    private final WarrenConfig config;
    private final String cookie;
    private final ClusterState state;
    private final ClusterSettings.Timeouts timeouts;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private Broker broker;
    private ClusterChannel channel;
    private InetSocketAddress amqpAddress;
    private InetSocketAddress distAddress;
    private JGroupsMetadataReplicator replicator;
    private DataLinkTransport linkTransport;
    private InetSocketAddress linkAddress;
    private List<String> lastMembers = List.of();
    private volatile boolean closing;
    /** Told (with the peers) when a restarting member starts waiting for its peers, for await_startup. */
    private java.util.function.Consumer<List<String>> onWaitingForPeers = peers -> { };
    /** False while a restarting member waits for its peers: the peers it saw last must survive a failed wait. */
    private volatile boolean recordViews = true;
    private FormationStatus formationStatus = new FormationStatus();
    private volatile Discovery discovery;

    BrokerApp(WarrenConfig config, String cookie, ClusterState state, ClusterSettings.Timeouts timeouts) {
        this.config = config;
        this.cookie = cookie;
        this.state = state;
        this.timeouts = timeouts;
    }

    /** Sets what to tell when this app, restarting a member, waits for the peers it saw running last. */
    BrokerApp onWaitingForPeers(java.util.function.Consumer<List<String>> hook) {
        this.onWaitingForPeers = hook;
        return this;
    }

    /** Where this app reports its formation state (the daemon's, so it outlives the app). */
    BrokerApp formationStatus(FormationStatus status) {
        this.formationStatus = status;
        return this;
    }

    /** The discovery backend this app registered with, if formation is configured. */
    Optional<Discovery> discovery() {
        return Optional.ofNullable(discovery);
    }

    /** Starts every part; on failure closes what started and rethrows. */
    BrokerApp start() throws IOException, InterruptedException {
        ServerSettings server = config.server();
        BrokerSettings settings = config.broker();
        String node = server.nodeName();
        InetAddress bind = clusterBindAddress(server);
        int port = server.distPort() == 0 ? freePort(bind) : server.distPort();
        distAddress = new InetSocketAddress(bind, port);
        ClusterFormation formation = null;
        try {
            discovery = Discovery.create(config, listensOnOneAddress(server) ? bind.getHostAddress() : null, port)
                    .orElse(null);
            if (discovery != null) {
                Discovery registeredWith = discovery;
                started.push(registeredWith::unregister);
                formationStatus.backend(discovery.backend().type(), discovery.backend()::lockHolder);
                formation = ClusterFormation.forFirstBoot(discovery, state, formationStatus).orElse(null);
            }
        } catch (InterruptedException | RuntimeException e) {
            formationStatus.set(FormationStatus.State.FAILED, e.getMessage());
            close();
            throw e;
        }
        if (formation != null && !formation.nodeType().equals(state.ownType())) {
            state.ownType(formation.nodeType());
        }
        try (ClusterFormation lockHeld = formation) {
            EventLoops loops = EventLoops.create();
            started.push(loops::close);
            // The store is opened (and recovered) before any listener accepts a client.
            MessageStore store = new RocksDbMessageStore(server.dataDir().resolve("store"));
            if (ClusterState.RAM.equals(state.ownType())) {
                store = new RamDefinitionsStore(store);
                LOG.info("node {} is a RAM node: definitions are kept in memory only", node);
            }
            MessageStore opened = store;
            started.push(opened::close);
            replicator = new JGroupsMetadataReplicator(node);
            broker = new Broker(settings, loops.queueExecutors(), store, replicator);
            broker.membershipHook(state);
            started.push(broker);
            startDataLink(server, node);

            joinCluster(server, replicator, formation);
            if (lockHeld != null) {
                lockHeld.close(); // released once joined, before the AMQP listener opens
            }

            AmqpServer amqp = new AmqpServer(broker, server.listener().host(), server.listener().port(), loops)
                    .limits(((Number) config.values().getOrDefault("connection_max", Integer.MAX_VALUE)).intValue(),
                            ((Number) config.values().getOrDefault("handshake_timeout",
                                    AmqpServer.DEFAULT_HANDSHAKE_TIMEOUT_MS)).longValue());
            started.push(amqp);
            amqpAddress = amqp.start();
            return this;
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (formationStatus.state() != FormationStatus.State.REFUSED) {
                formationStatus.set(FormationStatus.State.FAILED, e.getMessage());
            }
            close();
            throw e;
        }
    }

    private static boolean listensOnOneAddress(ServerSettings server) {
        String host = server.listener().host();
        return host != null && !host.isBlank() && !host.equals("0.0.0.0") && !host.equals("::") && !host.equals("[::]");
    }

    private void joinCluster(ServerSettings server, JGroupsMetadataReplicator replicator, ClusterFormation formation)
            throws IOException, InterruptedException {
        String node = server.nodeName();
        InetAddress bind = distAddress.getAddress();
        int port = distAddress.getPort();
        String joinTarget = state.joinTarget();
        List<InetSocketAddress> seeds = seeds(node);
        // a member restarting: the peers that were running when it stopped (read before the new view overwrites them)
        List<String> lastSeen = state.running().stream().filter(m -> !m.equals(node)).toList();
        boolean restarting = formation == null && joinTarget == null && state.clusterId() != null
                && state.members().stream().anyMatch(m -> !m.node().equals(node));
        recordViews = !restarting;
        if (formation != null) {
            channel = form(server, bind, port, replicator, formation);
        } else {
            if (joinTarget == null && state.clusterId() != null) {
                state.beginRejoinCheck(node);
            }
            try {
                channel = open(new ClusterSettings(node, bind, port, seeds, cookie, timeouts), replicator);
            } catch (RuntimeException e) {
                state.cancelRejoinCheck();
                throw e;
            }
        }
        ClusterChannel opened = channel;
        started.push(opened::close);
        // a member that was forgotten, or whose cluster was formed again, must not rejoin (inconsistent_cluster)
        state.endRejoinCheck(node, channel.members().stream().filter(m -> !m.equals(node)).findFirst().orElse(null));
        // what this node recorded while apart that the cluster lacks goes to every member
        replicator.publishMerge();
        if (restarting) {
            formationStatus.set(FormationStatus.State.REJOINING, lastSeen.toString());
            onWaitingForPeers.accept(lastSeen);
            new RestartGate(config, state, node, lastSeen, channel, replicator).await();
            recordViews = true;
            state.recordRunning(channel.members());
        }
        replicator.announce(true, List.of(), linkAddress.getAddress().getHostAddress() + ":" + linkAddress.getPort());
        schedulePurge(node);
        if (joinTarget != null && channel.members().size() < 2) {
            throw new IllegalStateException("node " + node + " could not join the cluster of node " + joinTarget
                    + " at " + state.joinSeed() + ": no member answered on that cluster port. Check that "
                    + joinTarget + " is running (warrenctl -n " + joinTarget + " cluster_status), that its "
                    + "WARREN_DIST_PORT is reachable and that both nodes use the same cookie, then run "
                    + "'warrenctl start_app' again (the join stays pending), or 'warrenctl reset' to give it up");
        }
        // A joiner takes the cluster's identity from the state transfer (or from the seed agreeing it moments
        // later). The node that may form (the seed, the lock holder) never waits for it: an existing cluster's
        // identity came with the state transfer, and otherwise it is the founder, even when blank candidates
        // joined its new view before it got here; waiting would leave all of them waiting.
        if (formation != null && channel.members().size() > 1 && !formation.mayForm()) {
            awaitClusterIdentity(node);
        }
        if (state.clusterId() == null) {
            // a fresh node forming a new cluster: its name is the first node's name, as in RabbitMQ
            agree(new MetadataCommand.PutClusterIdentity(node, UUID.randomUUID().toString()));
        }
        String address = bind.getHostAddress() + ":" + port;
        ClusterState.Member recorded = state.member(node);
        if (recorded == null || !recorded.type().equals(state.ownType()) || !recorded.address().equals(address)) {
            agree(new MetadataCommand.PutClusterMember(node, state.ownType(), address));
        }
        if (joinTarget != null) {
            LOG.info("node {} joined the cluster '{}' of node {}", node, state.clusterName(), joinTarget);
            state.clearJoin();
        }
        LOG.info("node {}: cluster '{}' ({}), members {}, running {}", node, state.clusterName(), state.clusterId(),
                state.members().stream().map(ClusterState.Member::node).toList(), channel.members());
        if (formationStatus.state() != FormationStatus.State.STANDALONE || channel.members().size() > 1) {
            formationStatus.set(FormationStatus.State.FORMED, "member of cluster '" + state.clusterName() + "', running "
                    + channel.members());
        }
    }

    /**
     * The inter-node data link: listens on the link port (peers learn its address from this node's
     * status) and keeps a connection to every running member that announced one, so queues living
     * on them are reachable from here. A member leaving the view takes its transient queues with it.
     */
    private void startDataLink(ServerSettings server, String node) throws IOException {
        linkTransport = new DataLinkTransport(node, cookie, broker.links());
        started.push(linkTransport);
        InetAddress bind = clusterBindAddress(server);
        try {
            linkAddress = linkTransport.start(bind, server.linkPort());
        } catch (RuntimeException e) {
            throw new IOException("node " + node + " cannot listen for the inter-node data link on "
                    + bind.getHostAddress() + ":" + server.linkPort() + " (WARREN_LINK_PORT; default cluster port + "
                    + "20000): " + e.getMessage(), e);
        }
        String locator = String.valueOf(config.values().getOrDefault("queue_leader_locator", "client-local"));
        broker.queuePlacement(locator, () -> {
            List<String> nodes = new ArrayList<>(broker.links().reachableNodes());
            nodes.add(node);
            return nodes;
        });
        replicator.onStatusChange(() -> updateLinks(node));
    }

    private synchronized void updateLinks(String node) {
        if (closing) {
            return;
        }
        List<String> members = replicator.members();
        for (String gone : lastMembers) {
            if (!members.contains(gone) && !gone.equals(node)) {
                broker.dropTransientQueuesOf(gone);
            }
        }
        lastMembers = List.copyOf(members);
        Map<String, InetSocketAddress> peers = new java.util.HashMap<>();
        replicator.statuses().forEach((peer, status) -> {
            if (!peer.equals(node) && status.running() && !status.link().isEmpty() && members.contains(peer)) {
                peers.put(peer, parse(status.link()));
            }
        });
        linkTransport.peers(peers);
    }

    /**
     * Tombstones may go once every recorded member has seen them: every 30 s the oldest member
     * checks that all recorded members run (none down, none still waiting) and asks all to purge.
     */
    private void schedulePurge(String node) {
        java.util.concurrent.ScheduledExecutorService purger = java.util.concurrent.Executors
                .newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "warren-tombstone-purge");
                    t.setDaemon(true);
                    return t;
                });
        started.push(purger::shutdownNow);
        // status broadcasts are fire-and-forget; repeating the latest one repairs one lost during a view change
        purger.scheduleWithFixedDelay(() -> {
            if (!closing) {
                replicator.reannounce();
            }
        }, STATUS_REPEAT_SECONDS, STATUS_REPEAT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        purger.scheduleWithFixedDelay(() -> {
            try {
                if (!node.equals(channel.coordinator()) || broker.tombstoneCount() == 0) {
                    return;
                }
                List<String> running = replicator.runningMembers();
                if (state.members().stream().allMatch(m -> running.contains(m.node()))) {
                    replicator.purgeTombstones();
                }
            } catch (Exception e) {
                LOG.debug("tombstone purge skipped: {}", e.toString());
            }
        }, PURGE_INTERVAL_SECONDS, PURGE_INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    private ClusterChannel open(ClusterSettings cluster, JGroupsMetadataReplicator replicator) {
        try {
            ClusterChannel opened = new ClusterChannel(cluster, replicator);
            replicator.attach(opened);
            replicator.onView(view -> {
                if (recordViews && !closing) {
                    state.recordRunning(view); // the peers seen last, kept for the next start
                }
                if (view.size() > 1 && formationStatus.state() == FormationStatus.State.STANDALONE) {
                    // a node that found no other (a StatefulSet's seed, say) is formed once another joins it
                    formationStatus.set(FormationStatus.State.FORMED, "member of cluster '" + state.clusterName()
                            + "', running " + view);
                }
            });
            opened.start(CLUSTER);
            return opened;
        } catch (ClusterException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * First-boot formation. A node that may form (the seed, or the holder of the backend's lock)
     * connects at once, joining any candidate already running or else forming a cluster of one.
     * Every other node connects to the candidates it can reach and keeps the channel only when the
     * view holds a trusted anchor (the seed, a local member) or brought a cluster identity; a view of
     * blank nodes is left at once, so no second cluster can grow around it, and the node retries
     * under the backend's retry policy, logging RabbitMQ's count-down lines.
     */
    private ClusterChannel form(ServerSettings server, InetAddress bind, int port, JGroupsMetadataReplicator replicator,
            ClusterFormation formation) throws InterruptedException {
        String node = server.nodeName();
        NodeRegistry registry = new NodeRegistry(server.runDir());
        int attempts = formation.retry().maxAttempts();
        long pause = formation.retry().interval().toMillis();
        String refusal = null;
        String refusedBy = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            ClusterFormation.Anchors anchors = formation.anchors(registry, server.listener().port());
            String target = java.util.stream.Stream.concat(anchors.trusted().keySet().stream(),
                    anchors.others().keySet().stream()).findFirst().orElse(formation.seed());
            if (refusal != null) { // shown until an attempt succeeds: the operator's answer to "why didn't it join?"
                formationStatus.set(FormationStatus.State.REFUSED, refusal, attempt, attempts, refusedBy);
            } else {
                formationStatus.set(FormationStatus.State.JOINING, "", attempt, attempts, target);
            }
            if (formation.mayForm() || !anchors.isEmpty()) {
                // The seed probes the other candidates only for a cluster one of them may already run, whose
                // coordinator answers a JOIN at once; blank candidates that are probing too come and go, and
                // waiting out ten JOIN timeouts for them would only delay the cluster they are all waiting for.
                ClusterSettings.Timeouts attemptTimeouts = formation.mayForm() && anchors.trusted().isEmpty()
                        ? timeouts.withMaxJoinAttempts(Math.min(SEED_JOIN_ATTEMPTS, timeouts.maxJoinAttempts()))
                        : timeouts;
                ClusterSettings cluster = new ClusterSettings(node, bind, port, anchors.all(), cookie, attemptTimeouts);
                ClusterChannel attemptChannel;
                try {
                    attemptChannel = open(cluster, replicator);
                } catch (IllegalStateException e) {
                    if (e.getCause() instanceof ClusterJoinRefusedException) {
                        // as RabbitMQ treats a peer that refuses the cookie: not joinable now; retried, since the
                        // peer may be the one with the wrong cookie (or version) and be restarted with the right one
                        refusal = e.getMessage();
                        refusedBy = target;
                        formationStatus.set(FormationStatus.State.REFUSED, refusal, attempt, attempts, refusedBy);
                    }
                    LOG.warn("Could not auto-cluster with node {}: {}", target, e.getMessage());
                    attemptChannel = null;
                }
                if (attemptChannel != null) {
                    List<String> view = attemptChannel.members();
                    if (formation.accepts(view, anchors, awaitIdentity(view))) {
                        LOG.info("node {}: {} (view {})", node, view.size() > 1 ? "joined the cluster of "
                                + view.get(0) : "formed a new cluster", view);
                        return attemptChannel;
                    }
                    LOG.warn("Could not auto-cluster with node {}: view {} is not a formed cluster (no seed, no "
                            + "cluster identity); disconnecting to retry", target, view);
                    attemptChannel.close();
                }
            } else {
                LOG.warn("Could not auto-cluster with node {}: nodedown (waiting for seed {} or a running candidate)",
                        target, formation.seed());
            }
            if (attempt < attempts) {
                LOG.error("Trying to join discovered peers failed. Will retry after a delay of {} ms, {} retries left...",
                        pause, attempts - attempt);
                Thread.sleep(pause);
            }
        }
        IllegalStateException gaveUp = formation.gaveUp(attempts);
        if (refusal != null) { // formation_status still says REFUSED: set when the last attempt began
            throw new IllegalStateException(gaveUp.getMessage() + ". The last refusal, by " + refusedBy + ": " + refusal,
                    gaveUp);
        }
        throw gaveUp;
    }

    /** Whether a joined view of several nodes brought the cluster's identity (bounded wait for the state transfer). */
    private boolean awaitIdentity(List<String> view) throws InterruptedException {
        if (view.size() < 2) {
            return false;
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        while (state.clusterId() == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return state.clusterId() != null;
    }

    /** A joiner must take the cluster's name and id from the seed, never agree its own. */
    private void awaitClusterIdentity(String node) throws InterruptedException {
        long deadline = System.nanoTime() + AGREE_TIMEOUT.toNanos();
        while (state.clusterId() == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + node + " joined " + channel.members() + " but the cluster's "
                        + "name and id did not arrive within " + AGREE_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    /** The join target while a join is pending, else every other recorded member (their last address). */
    private List<InetSocketAddress> seeds(String node) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (state.joinSeed() != null) {
            out.add(parse(state.joinSeed()));
            return out;
        }
        for (ClusterState.Member m : state.members()) {
            if (!m.node().equals(node) && !m.address().isEmpty()) {
                out.add(parse(m.address()));
            }
        }
        return out;
    }

    static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private void agree(MetadataCommand command) {
        try {
            broker.submit(command).get(AGREE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording " + command, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("node " + config.server().nodeName() + " could not agree " + command
                    + " with the cluster within " + AGREE_TIMEOUT.toSeconds() + " s: " + e, e);
        }
    }

    /**
     * The AMQP listener's host when it names one interface; for a wildcard listener the address the
     * node's host name resolves to (what other machines reach it by), else loopback.
     */
    static InetAddress clusterBindAddress(ServerSettings server) {
        String host = server.listener().host();
        try {
            if (host != null && !host.isBlank() && !host.equals("0.0.0.0") && !host.equals("::")
                    && !host.equals("[::]")) {
                return InetAddress.getByName(host);
            }
            String nodeHost = server.nodeName().substring(server.nodeName().indexOf('@') + 1);
            return InetAddress.getByName(nodeHost);
        } catch (UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }

    private static int freePort(InetAddress bind) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, bind)) {
            return s.getLocalPort();
        }
    }

    Broker broker() {
        return broker;
    }

    InetSocketAddress amqpAddress() {
        return amqpAddress;
    }

    InetSocketAddress distAddress() {
        return distAddress;
    }

    /** Node names of the running members (the current view). */
    List<String> runningNodes() {
        return channel == null ? List.of() : replicator.runningMembers();
    }

    /** Stops in reverse start order: AMQP listener, cluster channel (a graceful leave), broker, store, loops. */
    @Override
    public void close() {
        closing = true;
        while (!started.isEmpty()) {
            AutoCloseable part = started.pop();
            try {
                part.close();
            } catch (Exception e) {
                LOG.warn("while stopping the app of node {}: {} failed to close", config.server().nodeName(), part, e);
            }
        }
    }
}
