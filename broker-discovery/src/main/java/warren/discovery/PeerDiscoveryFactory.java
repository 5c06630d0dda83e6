package warren.discovery;

import java.util.Set;

/**
 * The {@link java.util.ServiceLoader} entry point of a backend. A backend ships a factory with a
 * public no-argument constructor and names it in
 * {@code META-INF/services/warren.discovery.PeerDiscoveryFactory}.
 */
public interface PeerDiscoveryFactory {

    /**
     * The canonical type an operator writes in {@code cluster_formation.peer_discovery_backend}:
     * lower case, RabbitMQ's short name ({@code classic_config}, {@code dns}, {@code etcd},
     * {@code consul}, {@code k8s}, {@code aws}). The RabbitMQ module name
     * ({@code rabbit_peer_discovery_<type>}) is accepted for every type without being listed.
     */
    String type();

    /**
     * Other short names RabbitMQ accepts for this type (for example {@code classic} and
     * {@code config} for classic_config, {@code kubernetes} for k8s). Lower case.
     */
    default Set<String> aliases() {
        return Set.of();
    }

    /**
     * Builds the backend. Configuration errors are reported here, naming the key, so that a
     * misconfigured node stops at boot instead of retrying discovery.
     *
     * @throws DiscoveryException on a missing or malformed setting
     */
    PeerDiscovery create(DiscoverySettings settings) throws DiscoveryException;
}
