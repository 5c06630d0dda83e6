package warren.discovery;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A read-only view of the {@code warren.conf} keys a discovery backend needs, plus this node's
 * name.
 *
 * <p>The server loads and validates the configuration file and hands the flattened keys here
 * (for example {@code cluster_formation.classic_config.nodes.1 = warren@host1}), so backends
 * neither parse files nor depend on the configuration library. Values are trimmed; a blank value
 * reads as absent.
 */
public final class DiscoverySettings {

    /** The key that chooses the backend; absent means {@code classic_config}, as in RabbitMQ. */
    public static final String BACKEND_KEY = "cluster_formation.peer_discovery_backend";

    private final String localNodeName;
    private final Map<String, String> values;
    private final String localAddress;
    private final int localClusterPort;

    /**
     * @param localNodeName this node's name, {@code prefix@host}
     * @param values flattened configuration keys and their values; copied
     */
    public DiscoverySettings(String localNodeName, Map<String, String> values) {
        this(localNodeName, values, null, 0);
    }

    /**
     * @param localNodeName this node's name, {@code prefix@host}
     * @param values flattened configuration keys and their values; copied
     * @param localAddress the IP address (or host) this node's AMQP, cluster and link listeners
     *     are bound to, when they are bound to one; null when they listen on every interface
     * @param localClusterPort this node's cluster (JGroups) port, 0 when not known yet
     */
    public DiscoverySettings(String localNodeName, Map<String, String> values, String localAddress,
            int localClusterPort) {
        Objects.requireNonNull(localNodeName, "localNodeName");
        Objects.requireNonNull(values, "values");
        if (localNodeName.isBlank()) {
            throw new IllegalArgumentException("local node name is blank");
        }
        this.localNodeName = localNodeName;
        this.values = Map.copyOf(values);
        this.localAddress = localAddress == null || localAddress.isBlank() ? null : localAddress;
        this.localClusterPort = localClusterPort;
    }

    /**
     * The address peers should contact this node at, for backends that register it (etcd,
     * Consul): the listener's IP when the node listens on one address; empty when it listens on
     * every interface, and a backend then publishes what RabbitMQ's would (the node name's host,
     * or the Consul agent's address).
     */
    public Optional<String> localAddress() {
        return Optional.ofNullable(localAddress);
    }

    /** This node's cluster port, or 0 when not known; peers default it from their AMQP port. */
    public int localClusterPort() {
        return localClusterPort;
    }

    /** This node's name, for backends that must find themselves in what they discover. */
    public String localNodeName() {
        return localNodeName;
    }

    /** The trimmed value of {@code key}, or empty when it is unset or blank. */
    public Optional<String> get(String key) {
        String value = values.get(key);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(value.trim());
    }

    /**
     * The integer value of {@code key}, or {@code defaultValue} when it is unset.
     *
     * @throws DiscoveryException naming the key and the value when it is not a whole number
     */
    public int getInt(String key, int defaultValue) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.get());
        } catch (NumberFormatException e) {
            throw new DiscoveryException(
                    "config key '" + key + "': expected a whole number, got '" + value.get() + "'",
                    e);
        }
    }

    /**
     * The boolean value of {@code key} ({@code true} or {@code false}, any letter case), or
     * {@code defaultValue} when it is unset.
     *
     * @throws DiscoveryException naming the key and the value when it is neither
     */
    public boolean getBool(String key, boolean defaultValue) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        switch (value.get().toLowerCase(java.util.Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new DiscoveryException("config key '" + key + "': expected true or false, got '"
                        + value.get() + "'");
        }
    }

    /**
     * The integer value of {@code key}, at least {@code min}, or {@code defaultValue} when unset.
     *
     * @throws DiscoveryException naming the key, the value and the bound when it is not a whole
     *     number of at least {@code min}
     */
    public int getInt(String key, int defaultValue, int min) {
        int value = getInt(key, defaultValue);
        if (value < min) {
            throw new DiscoveryException("config key '" + key + "': expected a whole number >= " + min
                    + ", got '" + value + "'");
        }
        return value;
    }

    /**
     * The value of {@code key}, which must be one of {@code choices} (compared in lower case), or
     * {@code defaultValue} when unset.
     *
     * @throws DiscoveryException naming the key, the value and the choices otherwise
     */
    public String getChoice(String key, String defaultValue, String... choices) {
        Optional<String> value = get(key);
        if (value.isEmpty()) {
            return defaultValue;
        }
        String v = value.get().toLowerCase(java.util.Locale.ROOT);
        for (String choice : choices) {
            if (choice.equals(v)) {
                return choice;
            }
        }
        throw new DiscoveryException("config key '" + key + "': expected one of "
                + String.join(", ", choices) + ", got '" + value.get() + "'");
    }

    /**
     * The value of {@code key}, or the exception naming it as required.
     *
     * @throws DiscoveryException when the key is unset or blank
     */
    public String require(String key, String why) {
        return get(key).orElseThrow(() -> new DiscoveryException("config key '" + key + "' is not set; "
                + why));
    }

    /**
     * The named family {@code prefix.NAME = value} as a map from NAME to value, sorted by name.
     * {@code prefix} may be given with or without its trailing dot.
     */
    public Map<String, String> named(String prefix) {
        String dotted = prefix.endsWith(".") ? prefix : prefix + ".";
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, String> entry : values.entrySet()) {
            if (entry.getKey().startsWith(dotted) && entry.getValue() != null
                    && !entry.getValue().isBlank()) {
                out.put(entry.getKey().substring(dotted.length()), entry.getValue().trim());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Every key set, for backends that look at a whole family. */
    public java.util.Set<String> keys() {
        return java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(values.keySet()));
    }

    /**
     * The values of the numbered family {@code prefix.1}, {@code prefix.2}, ... in numeric order
     * of the suffix, so {@code .10} comes after {@code .2}. Gaps are allowed: the numbers only
     * order the entries. {@code prefix} may be given with or without its trailing dot.
     *
     * <p>Numeric order is deliberate and differs from RabbitMQ, whose config schema sorts these
     * keys as strings ({@code nodes.10} before {@code nodes.2}): an operator reading the file
     * expects the numbers to mean what they say.
     *
     * @throws DiscoveryException naming the key when a suffix is not a number, when two keys
     *     carry the same number ({@code .1} and {@code .01}), or when a value is blank
     */
    public List<String> list(String prefix) {
        String dotted = prefix.endsWith(".") ? prefix : prefix + ".";
        TreeMap<Long, String> byNumber = new TreeMap<>();
        TreeMap<Long, String> keyByNumber = new TreeMap<>();
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(dotted)) {
                continue;
            }
            long number = suffixNumber(key, key.substring(dotted.length()));
            String value = entry.getValue() == null ? "" : entry.getValue().trim();
            if (value.isEmpty()) {
                throw new DiscoveryException("config key '" + key + "' is empty");
            }
            String previousKey = keyByNumber.put(number, key);
            if (previousKey != null) {
                throw new DiscoveryException("config keys '" + previousKey + "' and '" + key
                        + "' have the same number; number each entry once");
            }
            byNumber.put(number, value);
        }
        return List.copyOf(byNumber.values());
    }

    private static long suffixNumber(String key, String suffix) {
        boolean digits = !suffix.isEmpty() && suffix.length() <= 18
                && suffix.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits) {
            throw new DiscoveryException("config key '" + key
                    + "': expected a numbered key such as '"
                    + key.substring(0, key.length() - suffix.length()) + "1'");
        }
        return Long.parseLong(suffix);
    }

    @Override
    public String toString() {
        return "DiscoverySettings[node=" + localNodeName + ", keys=" + new TreeMap<>(values).keySet()
                + "]";
    }
}
