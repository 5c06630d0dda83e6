/**
 * What the HTTP backends (etcd, Consul, Kubernetes) share: one JDK {@link java.net.http.HttpClient}
 * per backend built from {@code cluster_formation.proxy.*} and the backend's
 * {@code ssl_options.*}, and every request logged at DEBUG with its status code.
 */
package warren.discovery.http;
