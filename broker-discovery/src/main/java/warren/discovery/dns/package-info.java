/**
 * The {@code dns} backend: peers from the A and AAAA records of
 * {@code cluster_formation.dns.hostname} and a reverse (PTR) lookup of each address, as in
 * RabbitMQ's {@code rabbit_peer_discovery_dns}; or, a Warren addition, from the SRV records of
 * that name ({@code cluster_formation.dns.record_type = srv}). Queries go through dnsjava to the
 * system resolver or to {@code cluster_formation.dns.server}. No registry, no lock; formation
 * safety comes from {@link warren.discovery.FormationOrder}.
 */
package warren.discovery.dns;
