/**
 * The {@code etcd} backend: nodes register under
 * {@code /rabbitmq/discovery/<key_prefix>/clusters/<cluster_name>/nodes/<node>} with a kept-alive
 * lease and take the formation lock {@code /rabbitmq/locks/<key_prefix>/clusters/<cluster_name>/registration},
 * as RabbitMQ's {@code rabbit_peer_discovery_etcd} does, through etcd's v3 JSON gateway and the JDK
 * HTTP client ({@link warren.discovery.http.BackendHttp}) instead of a gRPC client.
 */
package warren.discovery.etcd;
