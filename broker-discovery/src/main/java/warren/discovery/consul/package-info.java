/**
 * The {@code consul} backend, after RabbitMQ's {@code rabbit_peer_discovery_consul}: nodes register
 * as instances of a Consul service (default {@code rabbitmq}) with a TTL check they pass every
 * half TTL, discover each other through {@code /v1/health/service/<svc>?passing}, and take the
 * startup lock as a Consul session holding a KV key. The HTTP API is spoken with the JDK client
 * ({@link warren.discovery.http.BackendHttp}) and Jackson; several agents may be listed for
 * failover.
 */
package warren.discovery.consul;
