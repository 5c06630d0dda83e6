/**
 * The {@code k8s} backend (alias {@code kubernetes}), in two modes: RabbitMQ 3.10's Endpoints API
 * lookup ({@code cluster_formation.k8s.discovery_mode = api}, the default) and RabbitMQ 4.1's
 * StatefulSet rule ({@code statefulset}), where the pod with ordinal {@code ordinal_start} is the
 * only node allowed to form a cluster. No registration, no lock.
 */
package warren.discovery.k8s;
