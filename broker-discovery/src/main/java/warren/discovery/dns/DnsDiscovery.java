package warren.discovery.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerNames;
import warren.discovery.RetryPolicy;

/**
 * Peers from DNS.
 *
 * <p>With {@code record_type = a} (the default, RabbitMQ's behaviour): the A and then the AAAA
 * records of {@code cluster_formation.dns.hostname}; for each address its PTR name; each peer is
 * this node's prefix @ that name (first label only when this node uses a short name, see
 * {@link PeerNames}) at the address it came from. An address without a PTR record is skipped with
 * a warning; when several addresses give the same name, the first is kept.
 *
 * <p>With {@code record_type = srv}: the SRV records of the name, in priority order (lowest
 * first), then weight (highest first); each target is a peer named prefix @ target, at the
 * target's first A address (else its first AAAA address) and the SRV port as its cluster port
 * (port 0: the default cluster port).
 *
 * <p>A name that does not exist or has no records gives an empty list (the node boots
 * standalone), as in RabbitMQ. A resolver that cannot be asked (timeout, SERVFAIL, REFUSED, a
 * CNAME loop) throws, so the caller retries; unlike RabbitMQ, which answers an empty list then.
 * Each query is sent once per server with a {@link #QUERY_TIMEOUT} timeout, so the retry policy
 * governs how long the node waits. Answers are not cached between calls.
 */
public final class DnsDiscovery implements PeerDiscovery {

    /** How long one query waits for one server's answer. */
    public static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);

    private static final Set<String> NETWORK_ERRORS =
            Set.of("network error", "timed out");

    private static final Logger LOG = LoggerFactory.getLogger(DnsDiscovery.class);

    private final DnsSettings settings;
    private final String localNodeName;
    private final RetryPolicy retryPolicy;

    /**
     * @throws DiscoveryException naming the key when a {@code cluster_formation.dns.*} key, the
     *     node type or the retry settings are missing or malformed
     */
    public DnsDiscovery(DiscoverySettings settings) {
        Objects.requireNonNull(settings, "settings");
        this.settings = DnsSettings.from(settings);
        this.localNodeName = settings.localNodeName();
        this.retryPolicy = RetryPolicy.from(settings);
        PeerNames.prefix(localNodeName);
    }

    @Override
    public DiscoveredPeers discover() {
        Queries queries = new Queries(resolver());
        Map<String, String> peers = settings.srv() ? fromSrv(queries) : fromAddresses(queries);
        if (peers.isEmpty()) {
            LOG.info("Peer discovery: DNS found no peers via {} records of {}; this node will boot"
                    + " standalone", settings.srv() ? "SRV" : "A/AAAA", settings.hostname());
        }
        return DiscoveredPeers.at(peers, settings.nodeType());
    }

    private Map<String, String> fromAddresses(Queries queries) {
        List<InetAddress> addresses = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            List<InetAddress> found = queries.run(settings.name(), type).stream()
                    .map(DnsDiscovery::addressOf).toList();
            LOG.info("Addresses discovered via {} records of {}: {}", Type.string(type),
                    settings.hostname(),
                    found.stream().map(DnsDiscovery::literal).collect(Collectors.joining(", ")));
            addresses.addAll(found);
        }
        Map<String, String> peers = new LinkedHashMap<>();
        for (InetAddress address : addresses) {
            Optional<String> host = queries.run(ReverseMap.fromAddress(address), Type.PTR).stream()
                    .map(r -> ((PTRRecord) r).getTarget().toString())
                    .min(Comparator.naturalOrder());
            if (host.isEmpty()) {
                LOG.warn("Reverse DNS lookup for address {} failed: no PTR record ({}); skipping it",
                        literal(address), ReverseMap.fromAddress(address));
                continue;
            }
            peers.putIfAbsent(PeerNames.peerName(localNodeName, host.get()), literal(address));
        }
        return peers;
    }

    private Map<String, String> fromSrv(Queries queries) {
        List<SRVRecord> records = queries.run(settings.name(), Type.SRV).stream()
                .map(r -> (SRVRecord) r)
                .sorted(Comparator.comparingInt(SRVRecord::getPriority)
                        .thenComparing(Comparator.comparingInt(SRVRecord::getWeight).reversed())
                        .thenComparing(r -> r.getTarget().toString())
                        .thenComparingInt(SRVRecord::getPort))
                .toList();
        LOG.info("Targets discovered via SRV records of {}: {}", settings.hostname(),
                records.stream().map(r -> r.getTarget() + ":" + r.getPort())
                        .collect(Collectors.joining(", ")));
        Map<String, String> peers = new LinkedHashMap<>();
        for (SRVRecord record : records) {
            Name target = record.getTarget();
            if (target.equals(Name.root)) {
                LOG.info("SRV record of {} has target '.' (service not available); skipping it",
                        settings.hostname());
                continue;
            }
            String name = PeerNames.peerName(localNodeName, target.toString());
            if (peers.containsKey(name)) {
                continue;
            }
            List<Record> found = queries.run(target, Type.A);
            if (found.isEmpty()) {
                found = queries.run(target, Type.AAAA);
            }
            if (found.isEmpty()) {
                LOG.warn("SRV target {} of {} has no A or AAAA record; skipping it", target,
                        settings.hostname());
                continue;
            }
            String ip = literal(addressOf(found.get(0)));
            peers.put(name, record.getPort() == 0 ? ip : withPort(ip, record.getPort()));
        }
        return peers;
    }

    private Resolver resolver() {
        if (settings.server().isEmpty()) {
            ExtendedResolver system = new ExtendedResolver();
            system.setTimeout(QUERY_TIMEOUT);
            system.setRetries(1);
            return system;
        }
        DnsSettings.Server server = settings.server().get();
        InetSocketAddress socket = new InetSocketAddress(server.host(), server.port());
        if (socket.isUnresolved()) {
            throw new DiscoveryException("DNS server " + server + " (config key '"
                    + DnsSettings.SERVER_KEY + "') could not be resolved");
        }
        SimpleResolver simple = new SimpleResolver(socket);
        simple.setTimeout(QUERY_TIMEOUT);
        return simple;
    }

    private String describeServer() {
        return settings.server()
                .map(s -> "DNS server " + s + " (config key '" + DnsSettings.SERVER_KEY + "')")
                .orElseGet(() -> "the system resolver " + ResolverConfig.getCurrentConfig().servers()
                        + " (set " + DnsSettings.SERVER_KEY + " to ask another)");
    }

    private DiscoveryException failure(Name name, int type, String error) {
        return new DiscoveryException("DNS " + Type.string(type) + " query for " + name
                + " failed: " + error + "; asked " + describeServer());
    }

    /** One discovery's queries, sharing the resolver but no cache across calls. */
    private final class Queries {

        private final Resolver resolver;

        Queries(Resolver resolver) {
            this.resolver = resolver;
        }

        /**
         * The records of {@code type} at {@code name}; empty when the name or the type does not
         * exist.
         *
         * @throws DiscoveryException when the resolver did not answer or answered with an error
         */
        List<Record> run(Name name, int type) {
            Lookup lookup = new Lookup(name, type);
            lookup.setResolver(resolver);
            lookup.setCache(null);
            lookup.setHostsFileParser(null);
            lookup.setCycleResults(false);
            Record[] answers = lookup.run();
            switch (lookup.getResult()) {
                case Lookup.SUCCESSFUL:
                    LOG.debug("DNS {} {}: {}", Type.string(type), name, List.of(answers));
                    return List.of(answers);
                case Lookup.HOST_NOT_FOUND:
                case Lookup.TYPE_NOT_FOUND:
                    LOG.debug("DNS {} {}: {}", Type.string(type), name, lookup.getErrorString());
                    return List.of();
                case Lookup.TRY_AGAIN:
                    String error = lookup.getErrorString();
                    if (NETWORK_ERRORS.contains(error)) {
                        // dnsjava reports a timeout and an unreachable server alike
                        error += " (no answer within " + QUERY_TIMEOUT.toSeconds()
                                + " s, or the server cannot be reached)";
                    }
                    throw failure(name, type, error);
                default:
                    throw failure(name, type, lookup.getErrorString());
            }
        }
    }

    private static InetAddress addressOf(Record record) {
        if (record instanceof ARecord a) {
            return a.getAddress();
        }
        return ((AAAARecord) record).getAddress();
    }

    /** The address as text: dotted quad, or IPv6 in RFC 5952 form without brackets. */
    static String literal(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    private static String withPort(String ip, int port) {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }

    /** No registry. */
    @Override
    public boolean supportsRegistration() {
        return false;
    }

    @Override
    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    @Override
    public String type() {
        return DnsDiscoveryFactory.TYPE;
    }
}
