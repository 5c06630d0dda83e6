package warren.discovery;

import java.util.List;
import java.util.Map;
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
     * The {@code warren.conf} keys this backend reads, so that the server accepts them (and only
     * them) under {@code cluster_formation.<type>.}. A numbered family ends in {@code .N}
     * ({@code cluster_formation.etcd.endpoints.N}), a named one in {@code .NAME}
     * ({@code cluster_formation.consul.svc_meta.NAME}). Values reach the backend as text; the
     * backend checks them in {@link #create}, naming the key.
     */
    default List<String> configKeys() {
        return List.of();
    }

    /**
     * Keys RabbitMQ's plugin has that Warren deliberately does not support, each with why. The
     * server stops at boot when one is set, quoting the reason. Same key forms as
     * {@link #configKeys()}.
     */
    default Map<String, String> unsupportedKeys() {
        return Map.of();
    }

    /**
     * Builds the backend. It must not do I/O (the server creates it at every boot to check the
     * settings, also on nodes that will not discover). Configuration errors are reported here, naming the key, so that a
     * misconfigured node stops at boot instead of retrying discovery.
     *
     * @throws DiscoveryException on a missing or malformed setting
     */
    PeerDiscovery create(DiscoverySettings settings) throws DiscoveryException;
}
