package warren.core.broker;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.ReplyCode;

/**
 * Per-vhost ({@code max-connections}, {@code max-queues}) and per-user ({@code max-connections},
 * {@code max-channels}) limits, as RabbitMQ's {@code set_vhost_limits} / {@code set_user_limits}
 * define them, and this node's counts they are checked against. The limits are definitions
 * (replicated and stored through {@link BrokerApplier}); a negative value means no limit, 0 allows
 * nothing. Connections and channels are counted on this node; queues are counted in the vhost,
 * whose definitions every node holds, at the point every node applies a declaration in the same
 * order, so max-queues holds cluster-wide. Refusals carry RabbitMQ 3.10's codes and texts.
 */
public final class ResourceLimits {
    public static final String MAX_CONNECTIONS = "max-connections";
    public static final String MAX_QUEUES = "max-queues";
    public static final String MAX_CHANNELS = "max-channels";
    public static final Set<String> VHOST_KEYS = Set.of(MAX_CONNECTIONS, MAX_QUEUES);
    public static final Set<String> USER_KEYS = Set.of(MAX_CONNECTIONS, MAX_CHANNELS);

    private final Map<String, Map<String, Long>> vhostLimits = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Long>> userLimits = new ConcurrentHashMap<>();
    private final Map<String, Integer> vhostConnections = new HashMap<>();
    private final Map<String, Integer> userConnections = new HashMap<>();
    private final Map<String, Integer> userChannels = new HashMap<>();

    // ------------------------------------------------------------------ definitions

    /** The vhost's limits (sorted by name), empty when none are set. */
    public Map<String, Long> vhost(String vhost) {
        return vhostLimits.getOrDefault(vhost, Map.of());
    }

    public Map<String, Long> user(String user) {
        return userLimits.getOrDefault(user, Map.of());
    }

    /** Every vhost that has limits set, by name. */
    public Map<String, Map<String, Long>> allVhosts() {
        return new TreeMap<>(vhostLimits);
    }

    public Map<String, Map<String, Long>> allUsers() {
        return new TreeMap<>(userLimits);
    }

    void putVhost(String vhost, Map<String, Long> limits) {
        vhostLimits.put(vhost, sorted(limits));
    }

    boolean removeVhost(String vhost) {
        return vhostLimits.remove(vhost) != null;
    }

    void putUser(String user, Map<String, Long> limits) {
        userLimits.put(user, sorted(limits));
    }

    boolean removeUser(String user) {
        return userLimits.remove(user) != null;
    }

    private static Map<String, Long> sorted(Map<String, Long> limits) {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(limits));
    }

    // ------------------------------------------------------------------ enforcement

    /**
     * connection.open of {@code user} on {@code vhost}: counts the connection, or refuses it with
     * 530 NOT_ALLOWED when the vhost's or the user's max-connections is reached (vhost first, as
     * RabbitMQ checks). Pair with {@link #releaseConnection}.
     */
    public synchronized void acquireConnection(String vhost, String user) {
        long vmax = limit(vhost(vhost), MAX_CONNECTIONS);
        if (vmax >= 0 && vhostConnections.getOrDefault(vhost, 0) >= vmax) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "access to vhost '" + vhost + "' refused for user '"
                    + user + "': connection limit (" + vmax + ") is reached", 10, 40);
        }
        long umax = limit(user(user), MAX_CONNECTIONS);
        if (umax >= 0 && userConnections.getOrDefault(user, 0) >= umax) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "connection refused for user '" + user
                    + "': user connection limit (" + umax + ") is reached", 10, 40);
        }
        vhostConnections.merge(vhost, 1, Integer::sum);
        userConnections.merge(user, 1, Integer::sum);
    }

    public synchronized void releaseConnection(String vhost, String user) {
        decrement(vhostConnections, vhost, 1);
        decrement(userConnections, user, 1);
    }

    /** channel.open by {@code user}: counts it, or refuses with 530 NOT_ALLOWED at the user's max-channels. */
    public synchronized void acquireChannel(String user) {
        long max = limit(user(user), MAX_CHANNELS);
        if (max >= 0 && userChannels.getOrDefault(user, 0) >= max) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "number of channels opened for user '" + user
                    + "' has reached the maximum allowed user limit of (" + max + ")", 0, 0);
        }
        userChannels.merge(user, 1, Integer::sum);
    }

    public synchronized void releaseChannels(String user, int n) {
        decrement(userChannels, user, n);
    }

    /** A new queue in {@code vhost}, which has {@code existing} queues: 406 PRECONDITION_FAILED at its max-queues. */
    void checkQueueLimit(String vhost, String queue, int existing) {
        long max = limit(vhost(vhost), MAX_QUEUES);
        if (max >= 0 && existing >= max) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "cannot declare queue '" + queue
                    + "': queue limit in vhost '" + vhost + "' (" + max + ") is reached");
        }
    }

    private static long limit(Map<String, Long> limits, String key) {
        Long v = limits.get(key);
        return v == null ? -1 : v;
    }

    private static void decrement(Map<String, Integer> counts, String key, int n) {
        if (n > 0) {
            counts.computeIfPresent(key, (k, c) -> c - n > 0 ? c - n : null);
        }
    }
}
