package warren.discovery.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;

/**
 * The {@code cluster_formation.dns.*} settings, checked without any network I/O.
 *
 * @param hostname the seed name ({@code record_type = a}) or the SRV name ({@code srv}), as
 *     written
 * @param name {@code hostname} parsed as a DNS name; absolute when it ends with a dot or when a
 *     server is configured, otherwise relative (the system resolver's search path applies)
 * @param recordType {@link #A} or {@link #SRV}
 * @param server the resolver to ask, empty for the system resolver
 * @param nodeType {@code cluster_formation.node_type}
 */
record DnsSettings(String hostname, Name name, String recordType, Optional<Server> server,
        NodeType nodeType) {

    static final String PREFIX = "cluster_formation.dns.";
    static final String HOSTNAME_KEY = PREFIX + "hostname";
    static final String RECORD_TYPE_KEY = PREFIX + "record_type";
    static final String SERVER_KEY = PREFIX + "server";

    /** A and AAAA records of the seed name, then PTR records of each address (RabbitMQ). */
    static final String A = "a";
    /** SRV records of the name; each target is a peer, the SRV port its cluster port. */
    static final String SRV = "srv";

    static final int DEFAULT_DNS_PORT = 53;

    private static final Pattern HOST_NAME =
            Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
                    + "(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?");

    /**
     * A DNS server to query.
     *
     * @param host an IP literal (IPv6 without brackets) or a host name, resolved when queried
     * @param port its UDP/TCP port
     */
    record Server(String host, int port) {

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * @throws DiscoveryException naming the key when hostname is missing or malformed, or
     *     record_type, server or node_type is malformed
     */
    static DnsSettings from(DiscoverySettings settings) {
        String hostname = settings.require(HOSTNAME_KEY,
                "the dns backend needs the name whose A/AAAA records (or SRV records with "
                        + RECORD_TYPE_KEY + " = srv) list the peers");
        String recordType = settings.getChoice(RECORD_TYPE_KEY, A, A, SRV);
        Optional<Server> server = settings.get(SERVER_KEY).map(DnsSettings::parseServer);
        NodeType nodeType = settings.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        return new DnsSettings(hostname, parseName(hostname, server.isPresent()), recordType,
                server, nodeType);
    }

    boolean srv() {
        return SRV.equals(recordType);
    }

    private static Name parseName(String hostname, boolean absolute) {
        if (!HOST_NAME.matcher(hostname).matches()) {
            throw new DiscoveryException("config key '" + HOSTNAME_KEY + "': '" + hostname
                    + "' is not a DNS name (letters, digits, '-', '_' and dots)");
        }
        try {
            return absolute ? Name.fromString(hostname, Name.root) : Name.fromString(hostname);
        } catch (TextParseException e) {
            throw new DiscoveryException("config key '" + HOSTNAME_KEY + "': '" + hostname
                    + "' is not a DNS name: " + e.getMessage(), e);
        }
    }

    /** HOST, HOST:PORT, IPv4, IPv4:PORT, IPv6, [IPv6] or [IPv6]:PORT. */
    static Server parseServer(String value) {
        String host;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw badServer(value, "the IPv6 address has no closing ']'");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw badServer(value, "expected ':PORT' after ']'");
                }
                port = rest.substring(1);
            }
            checkIpv6(value, host);
        } else if (value.indexOf(':') != value.lastIndexOf(':')) {
            host = value; // a bare IPv6 address: no port
            checkIpv6(value, host);
        } else {
            int colon = value.indexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            port = colon < 0 ? null : value.substring(colon + 1);
            if (!HOST_NAME.matcher(host).matches()) {
                throw badServer(value, "'" + host + "' is neither an IP address nor a host name");
            }
        }
        return new Server(host, port == null ? DEFAULT_DNS_PORT : parsePort(value, port));
    }

    private static void checkIpv6(String value, String host) {
        if (host.isEmpty() || !host.chars().allMatch(c -> Character.digit(c, 16) >= 0
                || c == ':' || c == '.')) {
            throw badServer(value, "'" + host + "' is not an IPv6 address");
        }
        try {
            InetAddress.getByName(host.indexOf(':') >= 0 ? host : "[" + host + "]");
        } catch (UnknownHostException e) {
            throw badServer(value, "'" + host + "' is not an IPv6 address");
        }
    }

    private static int parsePort(String value, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw badServer(value, "the port '" + port + "' is not a number from 1 to 65535");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw badServer(value, "the port '" + port + "' is not a number from 1 to 65535");
        }
        return p;
    }

    private static DiscoveryException badServer(String value, String why) {
        return new DiscoveryException("config key '" + SERVER_KEY + "': '" + value
                + "' is not HOST or HOST:PORT (IPv6 as [ADDRESS]:PORT): " + why);
    }
}
