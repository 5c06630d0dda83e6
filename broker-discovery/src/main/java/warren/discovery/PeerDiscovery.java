package warren.discovery;

import java.util.Optional;
import java.util.Set;

/**
 * A peer discovery backend: RabbitMQ's {@code rabbit_peer_discovery_backend} behaviour, shaped
 * for Java.
 *
 * <p>Only {@link #discover()} and {@link #type()} are mandatory. Everything else has a default
 * meaning "this backend does not do that" — no registration, no lock, the default retry policy —
 * because most backends (classic_config, DNS, AWS, Kubernetes) have nothing to register with and
 * no lock service, and RabbitMQ answers those calls with {@code not_supported} rather than an
 * error.
 *
 * <p>Calls may block on the network (DNS, HTTP); the caller runs them off any event loop.
 * Discovery runs only when a blank node first boots: a node with data rejoins its last-seen peers
 * instead.
 */
public interface PeerDiscovery {

    /**
     * Lists the candidate peers and the node type to join as. An empty result means "boot
     * standalone". Misconfiguration found here is logged and answered with what can be answered,
     * as RabbitMQ's backends do; only a backend that cannot be asked at all throws.
     *
     * @throws DiscoveryException when the backend could not be asked; the caller retries under
     *     {@link #retryPolicy()}
     */
    DiscoveredPeers discover() throws DiscoveryException;

    /** Whether this backend keeps a registry this node must enter and leave (etcd, Consul). */
    default boolean supportsRegistration() {
        return false;
    }

    /** Enters this node in the backend's registry; a no-op unless registration is supported. */
    default void register() throws DiscoveryException {
    }

    /** Removes this node from the backend's registry; a no-op unless registration is supported. */
    default void unregister() throws DiscoveryException {
    }

    /**
     * Takes the backend's formation lock for {@code nodes} (this node and the one it is about to
     * join) so that nodes booting together join one at a time.
     *
     * @return the held lock, or empty when this backend has no lock; the caller then relies on
     *     {@link FormationOrder}'s deterministic seed rule alone
     * @throws DiscoveryException when the backend has a lock but could not take it
     */
    default Optional<DiscoveryLock> lock(Set<String> nodes) throws DiscoveryException {
        return Optional.empty();
    }

    /**
     * The node holding the formation lock, as last seen while {@link #lock} waits for it; empty
     * when the backend has no lock, nobody holds it, or it was not looked at yet. Called from other
     * threads (warrenctl formation_status) while {@code lock} blocks.
     */
    default Optional<String> lockHolder() {
        return Optional.empty();
    }

    /**
     * The one candidate of {@code peers} that may start a new cluster, when the backend decides it
     * (Kubernetes' StatefulSet mode: the pod with ordinal {@code ordinal_start}); empty means
     * {@link FormationOrder}'s rule, the lowest candidate name. Every other blank node joins a
     * running candidate and never forms.
     */
    default Optional<String> designatedSeed(DiscoveredPeers peers) {
        return Optional.empty();
    }

    /**
     * How the caller retries {@link #discover()} and the join after it. Backends built from
     * settings return {@link RetryPolicy#from(DiscoverySettings)} so the operator's
     * {@code cluster_formation.discovery_retry_*} keys apply.
     */
    default RetryPolicy retryPolicy() {
        return RetryPolicy.DEFAULT;
    }

    /** The backend's type as configured, e.g. {@code classic_config}. */
    String type();
}
