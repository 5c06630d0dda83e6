/**
 * The {@code classic_config} backend: the peers are listed in {@code warren.conf} as
 * {@code cluster_formation.classic_config.nodes.N}, as in RabbitMQ's
 * {@code rabbit_peer_discovery_classic_config}. No registry, no lock; formation safety comes from
 * {@link warren.discovery.FormationOrder}.
 */
package warren.discovery.classic;
