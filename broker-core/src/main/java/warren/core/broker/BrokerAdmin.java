package warren.core.broker;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The management surface of one node: what warrenctl (through the control listener) may do.
 * Every method is thread-safe and may block briefly; none is called on a Netty event loop.
 * Refusals are {@link AdminException}s.
 *
 * <p>The {@code list*} methods return one map per row with every info item RabbitMQ's
 * {@code rabbitmqctl list_*} knows for that object, keyed by the rabbitmqctl column name
 * (e.g. {@code name}, {@code messages}, {@code consumers}); callers choose the columns to print.
 */
public interface BrokerAdmin {

    record UserInfo(String name, Set<String> tags) {
    }

    record PermissionInfo(String user, String vhost, String configure, String write, String read) {
    }

    void addUser(String name, String password, Set<String> tags);

    void deleteUser(String name);

    void changePassword(String name, String password);

    void setUserTags(String name, Set<String> tags);

    /** Checks a password (warrenctl authenticate_user). */
    boolean checkPassword(String name, String password);

    List<UserInfo> listUsers();

    void addVhost(String name);

    void deleteVhost(String name);

    List<String> listVhosts();

    void setPermissions(String vhost, String user, String configure, String write, String read);

    void clearPermissions(String vhost, String user);

    List<PermissionInfo> listPermissions(String vhost);

    /** Columns: name, vhost, durable, auto_delete, exclusive, arguments, messages, messages_ready, messages_unacknowledged, consumers, state, type, node. */
    List<Map<String, Object>> listQueues(String vhost);

    /** Columns: name, vhost, type, durable, auto_delete, internal, arguments. */
    List<Map<String, Object>> listExchanges(String vhost);

    /** Columns: source_name, source_kind, destination_name, destination_kind, routing_key, arguments, vhost. */
    List<Map<String, Object>> listBindings(String vhost);

    /** Columns: name, user, vhost, peer_host, peer_port, host, port, state, channels, protocol, auth_mechanism, connected_at, client_properties, timeout, frame_max, channel_max. */
    List<Map<String, Object>> listConnections();

    /** Columns: queue_name, vhost, channel_pid, consumer_tag, ack_required, prefetch_count, active, exclusive, arguments. */
    List<Map<String, Object>> listConsumers(String vhost);

    /** Changes vm_memory_high_watermark.relative at runtime, as rabbitmqctl set_vm_memory_high_watermark. */
    void setVmMemoryHighWatermark(double relative);

    /** Node status: node name, version, uptime, memory, alarms, listeners etc. */
    Map<String, Object> status();

    /**
     * set_vhost_limits: replaces the vhost's limits ({@code max-connections}, {@code max-queues}; negative:
     * no limit). Refusals: {@code no_such_vhost}.
     */
    default void setVhostLimits(String vhost, Map<String, Long> limits) {
        throw new UnsupportedOperationException("vhost limits");
    }

    /** clear_vhost_limits; {@code limits_error} "Parameter does not exist" when the vhost has none. */
    default void clearVhostLimits(String vhost) {
        throw new UnsupportedOperationException("vhost limits");
    }

    /** The limits of {@code vhost} (one entry, possibly empty), or of every vhost that has any when null. */
    default Map<String, Map<String, Long>> vhostLimits(String vhost) {
        throw new UnsupportedOperationException("vhost limits");
    }

    /** set_user_limits: replaces the user's limits ({@code max-connections}, {@code max-channels}). */
    default void setUserLimits(String user, Map<String, Long> limits) {
        throw new UnsupportedOperationException("user limits");
    }

    /** clear_user_limits: one limit by name, or {@code all}; clearing one that is not set is no error. */
    default void clearUserLimits(String user, String limit) {
        throw new UnsupportedOperationException("user limits");
    }

    /** The limits of {@code user} (one entry, possibly empty), or of every user that has any when null. */
    default Map<String, Map<String, Long>> userLimits(String user) {
        throw new UnsupportedOperationException("user limits");
    }
}
