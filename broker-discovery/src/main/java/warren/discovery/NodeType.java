package warren.discovery;

import java.util.Locale;

/**
 * The type a node takes when it joins a cluster found by discovery: a disc node persists the
 * cluster's definitions, a RAM node keeps them in memory only and needs a running disc node.
 */
public enum NodeType {
    DISC("disc"),
    RAM("ram");

    /** The configuration key this type is read from. */
    public static final String KEY = "cluster_formation.node_type";

    private final String configValue;

    NodeType(String configValue) {
        this.configValue = configValue;
    }

    /** The value as written in {@code warren.conf}: {@code disc} or {@code ram}. */
    public String configValue() {
        return configValue;
    }

    /**
     * Parses a {@code cluster_formation.node_type} value. Accepts {@code disc} and {@code ram},
     * and also {@code disk}, which RabbitMQ's config schema accepts and casts to {@code disc}, so
     * that an operator's existing file keeps working.
     *
     * @throws DiscoveryException naming the key and the value for anything else
     */
    public static NodeType parse(String value) {
        String normalized = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (normalized) {
            case "disc":
            case "disk":
                return DISC;
            case "ram":
                return RAM;
            default:
                throw new DiscoveryException(
                        "config key '" + KEY + "': expected disc or ram, got '" + value + "'");
        }
    }
}
