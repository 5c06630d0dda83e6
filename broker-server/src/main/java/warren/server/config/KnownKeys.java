package warren.server.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import warren.discovery.PeerDiscoveryFactory;
import warren.discovery.PeerDiscoveryLoader;

/**
 * Every key warren.conf accepts, with its type. A key ending in {@code .N} is a numbered list
 * ({@code auth_mechanisms.1}); one ending in {@code .NAME} is a named family
 * ({@code default_user_tags.administrator = true}). Adding a key is one line here plus its
 * default in {@code reference.conf} and its paragraph in docs/configuration.md.
 */
public final class KnownKeys {

    /**
     * One known key (or key family).
     *
     * @param unsupported why Warren deliberately rejects this RabbitMQ key, or null when it is
     *     accepted
     */
    public record Key(String name, ValueType type, String unsupported) {

        public Key(String name, ValueType type) {
            this(name, type, null);
        }

        public boolean isFamily() {
            return name.endsWith(".N") || name.endsWith(".NAME");
        }

        public boolean isNumbered() {
            return name.endsWith(".N");
        }

        /** For families: the prefix before the variable part, without the trailing dot. */
        public String prefix() {
            return isFamily() ? name.substring(0, name.lastIndexOf('.')) : name;
        }
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();
    /** The peer discovery backend types on the class path, found once. */
    private static final java.util.Set<String> BACKEND_TYPES = new java.util.TreeSet<>();

    static {
        add("listeners.tcp.default", ValueType.listener());
        add("default_user", ValueType.string());
        add("default_pass", ValueType.string());
        add("default_vhost", ValueType.string());
        add("default_user_tags.NAME", ValueType.bool());
        add("default_permissions.configure", ValueType.string());
        add("default_permissions.read", ValueType.string());
        add("default_permissions.write", ValueType.string());
        add("loopback_users", ValueType.oneOf("none"));
        add("loopback_users.NAME", ValueType.bool());
        add("heartbeat", ValueType.integer(0, 65535, "a whole number of seconds >= 0 (0 disables heartbeats)"));
        add("frame_max", ValueType.simple("a whole number of bytes >= 4096, or 0 for no limit", text -> {
            long value = (Long) ValueType.integer(0, Integer.MAX_VALUE, "").parse(text);
            if (value > 0 && value < 4096) {
                throw new IllegalArgumentException();
            }
            return value;
        }));
        add("channel_max", ValueType.integer(0, 65535, "a whole number 0-65535 (0 means 65535)"));
        add("handshake_timeout", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of milliseconds >= 1"));
        add("connection_max", ValueType.simple("a whole number of connections >= 0, or infinity", text ->
                "infinity".equals(text) ? Long.valueOf(Integer.MAX_VALUE)
                        : ValueType.integer(0, Integer.MAX_VALUE, "").parse(text)));
        add("max_message_size", ValueType.integer(1, 536870912, "a whole number of bytes 1-536870912 (512 MiB)"));
        add("vm_memory_high_watermark.relative", ValueType.decimal(0.0, 1.0, "a fraction of the heap between 0.0 and 1.0, e.g. 0.4"));
        add("log.console", ValueType.bool());
        add("log.console.level", ValueType.logLevel());
        add("log.file", ValueType.fileOrBool());
        add("log.file.level", ValueType.logLevel());
        add("auth_mechanisms.N", ValueType.oneOf("PLAIN", "AMQPLAIN"));
        add("management.tcp.port", ValueType.port());
        add("control.tcp.ip", ValueType.ipAddress());
        add("disk_free_limit.absolute", ValueType.dataAmount());
        add("disk_free_limit.relative", ValueType.decimal(0.0, 100.0, "a multiple of total RAM such as 1.0 or 1.5"));
        add("queue_leader_locator", ValueType.oneOf("client-local", "balanced"));
        // the backend's name is checked against the backends on the class path (PeerDiscoveryLoader)
        add("cluster_formation.peer_discovery_backend", ValueType.string());
        add("cluster_formation.classic_config.nodes.N", ValueType.nodeName());
        add("cluster_formation.node_type", ValueType.oneOf("disc", "disk", "ram"));
        add("cluster_formation.discovery_retry_limit", ValueType.integer(0, Integer.MAX_VALUE, "a whole number of retries >= 0"));
        add("cluster_formation.discovery_retry_interval", ValueType.integer(0, Integer.MAX_VALUE, "a whole number of milliseconds >= 0"));
        add("cluster_formation.registration.enabled", ValueType.bool());
        add("cluster_formation.node_cleanup.interval", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of seconds >= 1"));
        add("cluster_formation.node_cleanup.only_log_warning", ValueType.bool());
        add("cluster_formation.lock_retry_limit", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of retries >= 1"));
        add("cluster_formation.lock_retry_timeout", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of milliseconds >= 1"));
        add("cluster_formation.internal_lock_retries", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of retries >= 1"));
        add("cluster_formation.randomized_startup_delay_range.min", ValueType.integer(0, 3600, "a whole number of seconds 0-3600"));
        add("cluster_formation.randomized_startup_delay_range.max", ValueType.integer(0, 3600, "a whole number of seconds 0-3600"));
        add("cluster_formation.target_cluster_size_hint", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of nodes >= 1"));
        addDiscoveryBackends();
        add("mnesia_table_loading_retry_timeout", ValueType.integer(1, Integer.MAX_VALUE, "a whole number of milliseconds >= 1"));
        add("mnesia_table_loading_retry_limit", ValueType.integer(0, Integer.MAX_VALUE, "a whole number of retries >= 0"));
    }

    private KnownKeys() {
    }

    private static void add(String name, ValueType type) {
        KEYS.put(name, new Key(name, type));
    }

    /**
     * Every key the peer discovery backends on the class path read (as text: the backend checks the
     * value when the node boots, naming the key), and the RabbitMQ keys they reject, with why.
     */
    private static void addDiscoveryBackends() {
        for (PeerDiscoveryFactory factory : new PeerDiscoveryLoader().factories()) {
            BACKEND_TYPES.add(factory.type());
            for (String key : factory.configKeys()) {
                KEYS.putIfAbsent(key, new Key(key, ValueType.string()));
            }
            factory.unsupportedKeys().forEach((key, why) -> KEYS.putIfAbsent(key,
                    new Key(key, ValueType.string(), why)));
        }
    }

    /** The backend type whose keys {@code key} belongs to ({@code cluster_formation.<type>.*}), if any. */
    public static Optional<String> discoveryBackendOf(String key) {
        String prefix = "cluster_formation.";
        if (!key.startsWith(prefix)) {
            return Optional.empty();
        }
        int dot = key.indexOf('.', prefix.length());
        if (dot < 0) {
            return Optional.empty();
        }
        String type = key.substring(prefix.length(), dot);
        return BACKEND_TYPES.contains(type) ? Optional.of(type) : Optional.empty();
    }

    public static Map<String, Key> all() {
        return Collections.unmodifiableMap(KEYS);
    }

    /** The key (or family) that {@code key} belongs to, if any. */
    public static Optional<Key> lookup(String key) {
        Key exact = KEYS.get(key);
        if (exact != null) {
            return Optional.of(exact);
        }
        int dot = key.lastIndexOf('.');
        if (dot <= 0 || dot == key.length() - 1) {
            return Optional.empty();
        }
        String prefix = key.substring(0, dot);
        String last = key.substring(dot + 1);
        if (last.chars().allMatch(Character::isDigit)) {
            Key numbered = KEYS.get(prefix + ".N");
            if (numbered != null) {
                return Optional.of(numbered);
            }
        }
        return Optional.ofNullable(KEYS.get(prefix + ".NAME"));
    }

    /** The known key closest to a misspelt one, for "did you mean" hints. */
    public static Optional<String> closest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates(key)) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        int tolerance = Math.max(3, key.length() / 3);
        return bestDistance <= tolerance ? Optional.ofNullable(best) : Optional.empty();
    }

    private static List<String> candidates(String key) {
        List<String> out = new ArrayList<>();
        String tail = key.contains(".") ? key.substring(key.lastIndexOf('.') + 1) : "";
        for (Key k : KEYS.values()) {
            if (k.isFamily()) {
                out.add(k.prefix() + "." + (tail.isEmpty() ? (k.isNumbered() ? "1" : "NAME") : tail));
            } else {
                out.add(k.name());
            }
        }
        return out;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
