/**
 * The peer discovery SPI: how a blank node learns which peers to cluster with.
 *
 * <p>This is RabbitMQ's {@code rabbit_peer_discovery_backend} contract in Java form. A backend
 * lists candidate nodes ({@link warren.discovery.PeerDiscovery#discover()}), may register this
 * node with an external registry, and may offer a formation lock; features a backend lacks are
 * answered with "not supported" rather than an error. Backends are found with
 * {@link java.util.ServiceLoader} through {@link warren.discovery.PeerDiscoveryFactory}, so a new
 * backend is a new package plus one line in
 * {@code META-INF/services/warren.discovery.PeerDiscoveryFactory}.
 *
 * <p>This package decides nothing about membership by itself except the deterministic
 * {@link warren.discovery.FormationOrder}; what to do with the candidates (join, form, retry) is
 * the cluster layer's business. It knows nothing of AMQP or JGroups.
 */
package warren.discovery;
