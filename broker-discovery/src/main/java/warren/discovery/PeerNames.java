package warren.discovery;

import java.util.Locale;
import java.util.Objects;

/**
 * RabbitMQ's rule for the name of a discovered peer: this node's own prefix, {@code @}, and the
 * discovered host — only its first label when this node uses a short name ({@code warren@host1}),
 * the whole name when it uses a long one ({@code warren@host1.example.com}). An IP address is
 * always kept whole (its first "label" would name nothing). A trailing dot, as in a PTR answer,
 * is dropped, and host names are lower-cased, since DNS names are case-insensitive.
 */
public final class PeerNames {

    private PeerNames() {
    }

    /**
     * The node name a peer at {@code host} has when it follows the same naming as
     * {@code localNodeName}.
     *
     * @throws IllegalArgumentException when {@code localNodeName} has no {@code @} or the host is
     *     blank
     */
    public static String peerName(String localNodeName, String host) {
        Objects.requireNonNull(host, "host");
        String h = host.trim();
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("blank host for a peer of " + localNodeName);
        }
        if (!isIpLiteral(h)) {
            h = h.toLowerCase(Locale.ROOT);
            if (!usesLongNames(localNodeName)) {
                int dot = h.indexOf('.');
                if (dot > 0) {
                    h = h.substring(0, dot);
                }
            }
        }
        return prefix(localNodeName) + "@" + h;
    }

    /** The part of a node name before the {@code @}. */
    public static String prefix(String nodeName) {
        int at = nodeName.indexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("node name '" + nodeName + "' has no prefix@host form");
        }
        return nodeName.substring(0, at);
    }

    /** The part of a node name after the {@code @}. */
    public static String host(String nodeName) {
        int at = nodeName.indexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("node name '" + nodeName + "' has no prefix@host form");
        }
        return nodeName.substring(at + 1);
    }

    /**
     * Whether a node name is a long name: its host has a dot and is not an IP address. A node
     * named by IP ({@code warren@10.0.0.5}) counts as long, as in Erlang, whose short names cannot
     * hold a dot.
     */
    public static boolean usesLongNames(String nodeName) {
        String h = host(nodeName);
        return h.contains(".") || h.contains(":");
    }

    /** Whether {@code host} is an IPv4 or IPv6 literal (no resolver involved). */
    public static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }
}
