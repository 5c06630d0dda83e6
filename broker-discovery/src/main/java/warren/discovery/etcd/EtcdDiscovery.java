package warren.discovery.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerNames;
import warren.discovery.RetryPolicy;
import warren.discovery.http.BackendHttp;

/**
 * Peers registered in etcd (v3, 3.4 or later), as RabbitMQ's {@code rabbit_peer_discovery_etcd}
 * keeps them: one key per node,
 * {@code /rabbitmq/discovery/<key_prefix>/clusters/<cluster_name>/nodes/<node name>}, bound to a
 * lease of {@code node_ttl} seconds that a daemon thread refreshes every third of the TTL, so the key
 * of a node that dies disappears by itself.
 *
 * <p>The value is a JSON object: RabbitMQ's fields ({@code node}, {@code lease_id}, {@code ttl}) plus,
 * when known, the {@code address} and {@code cluster_port} peers contact this node at. Discovery
 * takes the node names from the key suffixes, so values written by RabbitMQ or by hand (even plain
 * text) do not break it; such nodes come without an address.
 *
 * <p>The formation lock is the key {@code /rabbitmq/locks/<key_prefix>/clusters/<cluster_name>/registration},
 * created in a transaction only when absent (create_revision == 0), bound to its own kept-alive lease
 * and holding the holder's node name. A node that finds it taken polls until it is free or
 * {@code lock_timeout} passes; {@link #lockHolder()} tells who holds it meanwhile.
 */
public final class EtcdDiscovery implements PeerDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdDiscovery.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final long LOCK_POLL_MILLIS = 250;

    private final EtcdConfig config;
    private final EtcdClient client;
    private final RetryPolicy retryPolicy;
    private final String localNodeName;
    private final Optional<String> localAddress;
    private final int localClusterPort;
    private final ScheduledThreadPoolExecutor keepAlive;

    private final Object registration = new Object();
    private long nodeLease;
    private ScheduledFuture<?> nodeKeepAlive;
    private volatile String lockHolder;

    /**
     * @throws DiscoveryException naming the key when a setting is malformed; no I/O is done
     */
    public EtcdDiscovery(DiscoverySettings settings) {
        this.config = EtcdConfig.from(settings);
        BackendHttp http = BackendHttp.create(settings, EtcdDiscoveryFactory.TYPE, REQUEST_TIMEOUT);
        this.client = new EtcdClient(http, config.endpoints, config.username, config.password);
        this.retryPolicy = RetryPolicy.from(settings);
        this.localNodeName = settings.localNodeName();
        this.localAddress = settings.localAddress();
        this.localClusterPort = settings.localClusterPort();
        this.keepAlive = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "warren-etcd-keepalive");
            t.setDaemon(true);
            return t;
        });
        keepAlive.setRemoveOnCancelPolicy(true);
        keepAlive.setKeepAliveTime(1, TimeUnit.SECONDS);
        keepAlive.allowCoreThreadTimeOut(true);
    }

    /** This node's key: {@code /rabbitmq/discovery/<key_prefix>/clusters/<cluster_name>/nodes/<node>}. */
    public String nodeKey() {
        return config.nodesPrefix() + localNodeName;
    }

    /** The formation lock's key: {@code /rabbitmq/locks/<key_prefix>/clusters/<cluster_name>/registration}. */
    public String lockKey() {
        return config.lockKey();
    }

    /**
     * The node holding the formation lock while {@link #lock(Set)} waits for it (also after it gave
     * up); empty when this backend is not waiting. For "waiting for lock held by X" displays.
     */
    public Optional<String> lockHolder() {
        return Optional.ofNullable(lockHolder);
    }

    @Override
    public DiscoveredPeers discover() {
        String prefix = config.nodesPrefix();
        LOG.debug("etcd peer discovery: will use prefix {} to query for node keys", prefix);
        Map<String, String> peers = new LinkedHashMap<>();
        List<String> unnamed = new java.util.ArrayList<>();
        for (EtcdClient.Kv kv : client.range(prefix)) {
            JsonNode value = parseValue(kv.value());
            String node = kv.key().substring(prefix.length());
            if (!node.contains("@")) {
                node = value.path("node").asText("");
            }
            if (!node.contains("@") || node.isBlank()) {
                unnamed.add(kv.key());
                continue;
            }
            peers.put(node, address(node, value));
        }
        for (String key : unnamed) {
            LOG.warn("etcd peer discovery: failed to extract node name from etcd key {}", key);
        }
        Map<String, String> withAddress = new LinkedHashMap<>();
        peers.forEach((node, address) -> {
            if (address != null) {
                withAddress.put(node, address);
            }
        });
        LOG.info("etcd peer discovery: successfully extracted nodes: {}", String.join(",", peers.keySet()));
        return new DiscoveredPeers(List.copyOf(peers.keySet()), config.nodeType, withAddress);
    }

    @Override
    public boolean supportsRegistration() {
        return true;
    }

    @Override
    public void register() {
        synchronized (registration) {
            cancelNodeKeepAlive();
            long previous = nodeLease;
            putNodeKey();
            if (previous != 0) {
                revokeQuietly(previous); // registered twice: the key now lives on the new lease
            }
            long interval = keepAliveMillis();
            nodeKeepAlive = keepAlive.scheduleWithFixedDelay(this::refreshNodeLease, interval, interval,
                    TimeUnit.MILLISECONDS);
        }
        LOG.info("Registered node with etcd");
    }

    @Override
    public void unregister() {
        long lease;
        synchronized (registration) {
            cancelNodeKeepAlive();
            lease = nodeLease;
            nodeLease = 0;
        }
        String key = nodeKey();
        client.delete(key);
        LOG.debug("etcd peer discovery: deleted key {}, done with unregistration", key);
        if (lease != 0) {
            client.leaseRevoke(lease);
            LOG.debug("etcd peer discovery: revoked a lease {} for node key {}", Long.toHexString(lease), key);
        }
        LOG.info("Unregistered node from etcd");
    }

    @Override
    public Optional<DiscoveryLock> lock(Set<String> nodes) {
        String key = config.lockKey();
        long lease = client.leaseGrant(config.nodeTtlSeconds);
        long interval = keepAliveMillis();
        ScheduledFuture<?> refresh = keepAlive.scheduleWithFixedDelay(() -> refreshLockLease(key, lease), interval,
                interval, TimeUnit.MILLISECONDS);
        ObjectNode value = client.json().createObjectNode().put("node", localNodeName).put("lease_id", lease);
        nodes.stream().sorted().forEach(value.putArray("nodes")::add);
        long timeoutNanos = config.lockTimeout.toNanos();
        long deadline = System.nanoTime() + timeoutNanos;
        String logged = null;
        try {
            while (true) {
                Optional<EtcdClient.Kv> existing = client.createIfAbsent(key, value.toString(), lease);
                if (existing.isEmpty() || existing.get().lease() == lease) {
                    lockHolder = null;
                    LOG.info("etcd peer discovery: acquired the registration lock {} (lease {})", key,
                            Long.toHexString(lease));
                    return Optional.of(new EtcdLock(key, lease, refresh));
                }
                if (existing.get().createRevision() == 0) {
                    continue; // released between the compare and the read: try again now
                }
                String holder = holder(existing.get());
                lockHolder = holder;
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new DiscoveryException("etcd peer discovery: could not acquire the registration lock "
                            + key + " within " + config.lockTimeout.toSeconds() + " s (" + EtcdConfig.LOCK_TIMEOUT
                            + "): it is held by " + holder);
                }
                if (!holder.equals(logged)) {
                    LOG.info("etcd peer discovery: waiting for the registration lock {} held by {} (up to {} s more,"
                            + " {})", key, holder, TimeUnit.NANOSECONDS.toSeconds(left), EtcdConfig.LOCK_TIMEOUT);
                    logged = holder;
                }
                try {
                    Thread.sleep(Math.min(LOCK_POLL_MILLIS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DiscoveryException("etcd peer discovery: interrupted while waiting for the registration"
                            + " lock " + key + " held by " + holder, e);
                }
            }
        } catch (RuntimeException e) {
            refresh.cancel(false);
            try {
                client.leaseRevoke(lease);
            } catch (RuntimeException revokeFailure) {
                e.addSuppressed(revokeFailure);
            }
            throw e;
        }
    }

    @Override
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    @Override
    public String type() {
        return EtcdDiscoveryFactory.TYPE;
    }

    /** Stops refreshing this node's lease without unregistering, as a killed node would (tests). */
    void stopKeepAliveForTest() {
        synchronized (registration) {
            cancelNodeKeepAlive();
        }
    }

    EtcdClient clientForTest() {
        return client;
    }

    // ---------------------------------------------------------------------------------------------

    /** Grants a fresh lease and puts this node's key bound to it; caller holds {@link #registration}. */
    private void putNodeKey() {
        long lease = client.leaseGrant(config.nodeTtlSeconds);
        LOG.debug("etcd peer discovery: acquired a lease {} for node key {} with TTL = {}", Long.toHexString(lease),
                nodeKey(), config.nodeTtlSeconds);
        ObjectNode value = client.json().createObjectNode().put("node", localNodeName).put("lease_id", lease)
                .put("ttl", config.nodeTtlSeconds);
        localAddress.ifPresent(a -> value.put("address", a));
        if (localClusterPort > 0) {
            value.put("cluster_port", localClusterPort);
        }
        client.put(nodeKey(), value.toString(), lease);
        nodeLease = lease;
        LOG.debug("etcd peer discovery: put key {}, done with registration", nodeKey());
    }

    private void refreshNodeLease() {
        try {
            long lease;
            synchronized (registration) {
                lease = nodeLease;
            }
            if (lease == 0) {
                return;
            }
            if (client.leaseKeepAlive(lease) > 0) {
                return;
            }
            synchronized (registration) {
                if (nodeKeepAlive == null || nodeLease != lease) {
                    return; // unregistered or re-registered meanwhile
                }
                LOG.warn("etcd peer discovery: the lease of node key {} has expired (etcd unreachable for longer than"
                        + " {} = {} s?); registering again", nodeKey(), EtcdConfig.NODE_TTL, config.nodeTtlSeconds);
                putNodeKey();
            }
        } catch (RuntimeException e) {
            LOG.warn("etcd peer discovery: could not refresh the lease of node key {}: {}", nodeKey(),
                    e.getMessage());
        }
    }

    private void refreshLockLease(String key, long lease) {
        try {
            if (client.leaseKeepAlive(lease) <= 0) {
                LOG.warn("etcd peer discovery: the lease {} of the registration lock {} has expired; the lock is"
                        + " no longer held", Long.toHexString(lease), key);
            }
        } catch (RuntimeException e) {
            LOG.warn("etcd peer discovery: could not refresh the lease of the registration lock {}: {}", key,
                    e.getMessage());
        }
    }

    private void revokeQuietly(long lease) {
        try {
            client.leaseRevoke(lease);
        } catch (RuntimeException e) {
            LOG.debug("etcd peer discovery: could not revoke lease {}: {}", Long.toHexString(lease), e.getMessage());
        }
    }

    /** Caller holds {@link #registration}. */
    private void cancelNodeKeepAlive() {
        if (nodeKeepAlive != null) {
            nodeKeepAlive.cancel(false);
            nodeKeepAlive = null;
        }
    }

    private long keepAliveMillis() {
        return Math.max(100, config.nodeTtlSeconds * 1000L / 3);
    }

    private JsonNode parseValue(String value) {
        try {
            JsonNode node = client.json().readTree(value);
            return node != null && node.isObject() ? node : client.json().createObjectNode();
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("etcd peer discovery: node key value is not JSON, ignoring it: {}", value);
            return client.json().createObjectNode();
        }
    }

    /** The address to contact {@code node} at from its value, or null to use its name's host. */
    private static String address(String node, JsonNode value) {
        String address = value.path("address").asText("").trim();
        int port = value.path("cluster_port").asInt(0);
        if (address.isEmpty()) {
            if (port <= 0) {
                return null;
            }
            address = PeerNames.host(node);
        }
        if (port <= 0 || port > 65535) {
            return address;
        }
        boolean v6 = address.indexOf(':') >= 0 && !address.startsWith("[");
        return (v6 ? "[" + address + "]" : address) + ":" + port;
    }

    private String holder(EtcdClient.Kv kv) {
        String node = parseValue(kv.value()).path("node").asText("");
        return node.isBlank() ? "an unknown holder (lease " + Long.toHexString(kv.lease()) + ")" : node;
    }

    /** The held formation lock; closing deletes the key and revokes its lease. */
    private final class EtcdLock implements DiscoveryLock {
        private final String key;
        private final long lease;
        private final ScheduledFuture<?> refresh;
        private final AtomicBoolean closed = new AtomicBoolean();

        EtcdLock(String key, long lease, ScheduledFuture<?> refresh) {
            this.key = key;
            this.lease = lease;
            this.refresh = refresh;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            refresh.cancel(false);
            try {
                client.deleteIfLease(key, lease);
                client.leaseRevoke(lease);
                LOG.info("etcd peer discovery: released the registration lock {}", key);
            } catch (RuntimeException e) {
                LOG.warn("etcd peer discovery: failed to release the registration lock {} (it expires with its"
                        + " lease within {} s): {}", key, config.nodeTtlSeconds, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "etcd lock " + key + " (lease " + Long.toHexString(lease) + ")";
        }
    }
}
