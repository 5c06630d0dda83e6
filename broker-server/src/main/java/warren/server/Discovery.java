package warren.server;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;
import warren.discovery.classic.ClassicConfigDiscovery;
import warren.server.config.ConfigError;
import warren.server.config.KnownKeys;
import warren.server.config.WarrenConfig;

/**
 * The configured peer discovery backend as the server drives it: created (and so validated) at
 * every boot, registration before the first discovery, discovery and the formation lock retried
 * under the operator's retry keys with RabbitMQ's log lines, unregistration on a clean stop.
 *
 * <p>Discovery itself runs only on a blank node's first boot ({@link ClusterFormation}); a member
 * still registers, so that blank nodes booting later find it.
 */
final class Discovery {

    static final String REGISTRATION_KEY = "cluster_formation.registration.enabled";
    static final String LOCK_RETRY_LIMIT_KEY = "cluster_formation.lock_retry_limit";
    static final String LOCK_RETRY_TIMEOUT_KEY = "cluster_formation.lock_retry_timeout";
    static final String DELAY_MIN_KEY = "cluster_formation.randomized_startup_delay_range.min";
    static final String DELAY_MAX_KEY = "cluster_formation.randomized_startup_delay_range.max";

    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);

    private final String self;
    private final PeerDiscovery backend;
    private final DiscoverySettings settings;
    private final RetryPolicy retry;
    private final boolean registration;
    private volatile boolean registered;

    private Discovery(String self, PeerDiscovery backend, DiscoverySettings settings) {
        this.self = self;
        this.backend = backend;
        this.settings = settings;
        this.retry = backend.retryPolicy();
        this.registration = settings.getBool(REGISTRATION_KEY, true);
    }

    /** Whether the config turns formation on: a backend is named, or classic_config lists nodes. */
    static boolean configured(WarrenConfig config) {
        return config.value(DiscoverySettings.BACKEND_KEY).isPresent()
                || !config.list(ClassicConfigDiscovery.NODES_KEY).isEmpty();
    }

    /**
     * The backend the config names, created with this node's address, or empty when formation is
     * off. Logs one warning naming keys of other backends, which are accepted and ignored.
     *
     * @throws ConfigError naming the key when the backend is unknown or rejects its settings
     */
    static Optional<Discovery> create(WarrenConfig config, String localAddress, int clusterPort) {
        if (!configured(config)) {
            return Optional.empty();
        }
        String self = config.server().nodeName();
        DiscoverySettings settings = new DiscoverySettings(self, ClusterFormation.flatten(config.values()),
                localAddress, clusterPort);
        PeerDiscovery backend;
        try {
            backend = new PeerDiscoveryLoader().load(settings);
        } catch (DiscoveryException e) {
            throw new ConfigError(e.getMessage(), e);
        }
        return Optional.of(new Discovery(self, backend, settings));
    }

    /**
     * Checks the discovery settings at boot, on every node: the backend is created (no network I/O)
     * so a malformed value stops the node naming the key, and keys of backends that are not
     * selected get one warning.
     *
     * @throws ConfigError naming the key
     */
    static void validate(WarrenConfig config) {
        Optional<Discovery> discovery = create(config, null, 0);
        String selected = discovery.map(d -> d.backend.type()).orElse("classic_config");
        Set<String> ignored = new TreeSet<>();
        for (String key : ClusterFormation.flatten(config.values()).keySet()) {
            KnownKeys.discoveryBackendOf(key).filter(type -> !type.equals(selected)).ifPresent(type -> ignored.add(key));
        }
        if (!ignored.isEmpty()) {
            LOG.warn("config keys of peer discovery backends other than the selected '{}' are set and ignored: {}",
                    selected, String.join(", ", ignored));
        }
    }

    PeerDiscovery backend() {
        return backend;
    }

    RetryPolicy retry() {
        return retry;
    }

    DiscoverySettings settings() {
        return settings;
    }

    /** Whether this node enters the backend's registry: the backend keeps one and the operator did not turn it off. */
    boolean registers() {
        return backend.supportsRegistration() && registration;
    }

    /**
     * Enters this node in the backend's registry. A blank node ({@code mustSucceed}) retries under the
     * retry policy, since the others cannot find it otherwise; a member tries once and boots anyway.
     */
    void register(FormationStatus status, boolean mustSucceed) throws InterruptedException {
        if (!registers()) {
            if (backend.supportsRegistration()) {
                LOG.info("Peer discovery: {} = false, registration with {} is left to the orchestrator",
                        REGISTRATION_KEY, backend.type());
            }
            return;
        }
        int attempts = mustSucceed ? retry.maxAttempts() : 1;
        for (int attempt = 1;; attempt++) {
            try {
                backend.register();
                registered = true;
                LOG.info("Peer discovery: registered node {} with {}", self, backend.type());
                status.set(FormationStatus.State.REGISTERED, "");
                return;
            } catch (DiscoveryException e) {
                if (attempt >= attempts) {
                    if (!mustSucceed) {
                        LOG.warn("Peer discovery: could not register node {} with {}: {}; booting anyway", self,
                                backend.type(), e.getMessage());
                        return;
                    }
                    throw new IllegalStateException("Peer discovery: node " + self + " could not register with "
                            + backend.type() + " after " + attempt + " attempts: " + e.getMessage(), e);
                }
                LOG.error("Peer discovery: registration with {} failed. Will retry after a delay of {} ms, {} retries"
                        + " left... ({})", backend.type(), retry.interval().toMillis(), attempts - attempt,
                        e.getMessage());
                Thread.sleep(retry.interval().toMillis());
            }
        }
    }

    /** Leaves the registry on a clean stop; failures are logged (the entry's TTL removes it anyway). */
    void unregister() {
        if (!registered) {
            return;
        }
        registered = false;
        try {
            backend.unregister();
            LOG.info("Peer discovery: unregistered node {} from {}", self, backend.type());
        } catch (RuntimeException e) {
            LOG.warn("Peer discovery: could not unregister node {} from {}: {}", self, backend.type(), e.getMessage());
        }
    }

    /** {@code randomized_startup_delay_range}: waits a random time in [min, max] s, only when the operator set it. */
    void startupDelay() throws InterruptedException {
        if (settings.get(DELAY_MIN_KEY).isEmpty() && settings.get(DELAY_MAX_KEY).isEmpty()) {
            return;
        }
        int min = settings.getInt(DELAY_MIN_KEY, 0, 0);
        int max = Math.max(min, settings.getInt(DELAY_MAX_KEY, min, 0));
        long delayMillis = min * 1000L + (max > min ? ThreadLocalRandom.current().nextLong((max - min) * 1000L) : 0);
        LOG.info("Peer discovery: waiting a randomized startup delay of {} ms", delayMillis);
        Thread.sleep(delayMillis);
    }

    /**
     * Takes the backend's formation lock, retried {@code cluster_formation.lock_retry_limit} times
     * (default 10) {@code lock_retry_timeout} ms apart (default the discovery retry interval).
     *
     * @return the held lock, or empty when the backend has none
     */
    Optional<DiscoveryLock> lock(FormationStatus status) throws InterruptedException {
        int limit = settings.getInt(LOCK_RETRY_LIMIT_KEY, 10, 1);
        long pause = settings.getInt(LOCK_RETRY_TIMEOUT_KEY, (int) retry.interval().toMillis(), 1);
        for (int attempt = 1;; attempt++) {
            status.set(FormationStatus.State.WAITING_FOR_LOCK, "", attempt, limit + 1, null);
            try {
                Optional<DiscoveryLock> lock = backend.lock(Set.of(self));
                lock.ifPresent(l -> LOG.info("Peer discovery: node {} holds the formation lock of {}", self,
                        backend.type()));
                return lock;
            } catch (DiscoveryException e) {
                if (attempt > limit) {
                    throw new IllegalStateException("Peer discovery: node " + self + " could not take the formation "
                            + "lock of " + backend.type() + " after " + attempt + " attempts: " + e.getMessage(), e);
                }
                LOG.error("Peer discovery: could not take the formation lock of {}. Will retry after a delay of {} ms,"
                        + " {} retries left... ({})", backend.type(), pause, limit + 1 - attempt, e.getMessage());
                Thread.sleep(pause);
            }
        }
    }

    /** Asks the backend for peers, retried under the retry policy with RabbitMQ's count-down lines. */
    DiscoveredPeers discover(FormationStatus status) throws InterruptedException {
        int attempts = retry.maxAttempts();
        for (int attempt = 1;; attempt++) {
            status.set(FormationStatus.State.DISCOVERING, "", attempt, attempts, null);
            try {
                DiscoveredPeers peers = backend.discover();
                LOG.info("Peer discovery: {} lists {}", backend.type(), describe(peers));
                return peers;
            } catch (DiscoveryException e) {
                if (attempt >= attempts) {
                    throw new IllegalStateException("peer discovery (" + backend.type() + ") failed "
                            + attempt + " times: " + e.getMessage(), e);
                }
                LOG.error("Peer discovery: {} could not be asked. Will retry after a delay of {} ms, {} retries left..."
                        + " ({})", backend.type(), retry.interval().toMillis(), attempts - attempt, e.getMessage());
                Thread.sleep(retry.interval().toMillis());
            }
        }
    }

    /** This node's name. */
    String self() {
        return self;
    }

    static String describe(DiscoveredPeers peers) {
        if (peers.isEmpty()) {
            return "no nodes";
        }
        StringBuilder out = new StringBuilder();
        for (String node : peers.nodes()) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(node);
            peers.address(node).ifPresent(a -> out.append(" at ").append(a));
        }
        return out.toString();
    }
}
