package warren.discovery.consul;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;

/**
 * The {@code cluster_formation.consul.*} keys, read and checked once when the backend is created,
 * with RabbitMQ 3.10's defaults. Every malformed value is reported naming its key.
 */
final class ConsulSettings {

    static final String P = "cluster_formation.consul.";
    static final String HOST = P + "host";
    static final String HOSTS = P + "hosts";
    static final String PORT = P + "port";
    static final String SCHEME = P + "scheme";
    static final String ACL_TOKEN = P + "acl_token";
    static final String CLUSTER_NAME = P + "cluster_name";
    static final String SVC = P + "svc";
    static final String SVC_ADDR = P + "svc_addr";
    static final String SVC_ADDR_AUTO = P + "svc_addr_auto";
    static final String SVC_ADDR_NIC = P + "svc_addr_nic";
    static final String SVC_ADDR_USE_NODENAME = P + "svc_addr_use_nodename";
    static final String SVC_PORT = P + "svc_port";
    static final String SVC_TAGS = P + "svc_tags";
    static final String SVC_META = P + "svc_meta";
    static final String SVC_TTL = P + "svc_ttl";
    static final String DEREGISTER_AFTER = P + "deregister_after";
    static final String INCLUDE_WARNINGS = P + "include_nodes_with_warnings";
    static final String USE_LONGNAME = P + "use_longname";
    static final String DOMAIN_SUFFIX = P + "domain_suffix";
    static final String LOCK_PREFIX = P + "lock_prefix";
    static final String LOCK_TIMEOUT = P + "lock_timeout";
    static final String LOCK_WAIT_TIME = P + "lock_wait_time";
    static final String SSL_OPTIONS = P + "ssl_options";

    /** RabbitMQ's cluster name when none is set; it adds no tag and no "cluster" meta. */
    static final String DEFAULT_CLUSTER = "default";
    /** Service meta keys Warren writes itself. */
    static final String META_NODE = "warren-node";
    static final String META_CLUSTER_PORT = "warren-cluster-port";
    /** RabbitMQ's meta key for a non-default cluster name. */
    static final String META_CLUSTER = "cluster";

    /** Consul's rule for service meta keys (agent/structs: 128 characters, no "consul-" prefix). */
    private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    /** One Consul agent to talk to. */
    record Agent(String host, int port) {
        String authority() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    final List<Agent> agents;
    final String scheme;
    final Optional<String> aclToken;
    final String clusterName;
    final String service;
    final Optional<String> svcAddr;
    final boolean svcAddrAuto;
    final Optional<String> svcAddrNic;
    final boolean svcAddrUseNodename;
    final int svcPort;
    final List<String> tags;
    final Map<String, String> meta;
    final int ttlSeconds;
    final OptionalInt deregisterAfterSeconds;
    final boolean includeWarnings;
    final boolean useLongname;
    final String domainSuffix;
    final String lockPrefix;
    final int lockTimeoutSeconds;
    final NodeType nodeType;

    ConsulSettings(DiscoverySettings s) {
        scheme = s.getChoice(SCHEME, "http", "http", "https");
        int defaultPort = port(s, PORT, 8500);
        agents = agents(s, defaultPort);
        aclToken = s.get(ACL_TOKEN);
        clusterName = s.get(CLUSTER_NAME).orElse(DEFAULT_CLUSTER);
        service = s.get(SVC).orElse("rabbitmq");
        svcAddr = s.get(SVC_ADDR);
        svcAddrAuto = s.getBool(SVC_ADDR_AUTO, false);
        svcAddrNic = s.get(SVC_ADDR_NIC);
        svcAddrUseNodename = s.getBool(SVC_ADDR_USE_NODENAME, false);
        svcPort = port(s, SVC_PORT, 5672);
        noneOnly(s, SVC_TAGS);
        noneOnly(s, SVC_META);
        noneOnly(s, SSL_OPTIONS);
        tags = s.list(SVC_TAGS);
        meta = meta(s);
        ttlSeconds = s.getInt(SVC_TTL, 30, 1);
        deregisterAfterSeconds = s.get(DEREGISTER_AFTER).isPresent()
                ? OptionalInt.of(s.getInt(DEREGISTER_AFTER, 0, 0)) : OptionalInt.empty();
        includeWarnings = s.getBool(INCLUDE_WARNINGS, false);
        useLongname = s.getBool(USE_LONGNAME, false);
        domainSuffix = s.get(DOMAIN_SUFFIX).orElse("consul");
        lockPrefix = s.get(LOCK_PREFIX).orElse("rabbitmq");
        lockTimeoutSeconds = lockTimeout(s);
        nodeType = s.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        for (String k : List.of(SVC, CLUSTER_NAME, LOCK_PREFIX)) {
            String forbidden = k.equals(LOCK_PREFIX) ? "?#" : "/?#";
            if (s.get(k).filter(v -> v.chars().anyMatch(c -> forbidden.indexOf(c) >= 0)).isPresent()) {
                throw new DiscoveryException("config key '" + k + "': '" + s.get(k).get() + "' may not contain any of "
                        + String.join(" ", forbidden.split("")) + " (it is part of a Consul URL path)");
            }
        }
    }

    /** The KV key of the startup lock, RabbitMQ's {@code <lock_prefix>/<cluster_name>/startup_lock}. */
    String lockKey() {
        return lockPrefix + "/" + clusterName + "/startup_lock";
    }

    /** The tags registered: the cluster name first when it is not "default", as RabbitMQ does. */
    List<String> registeredTags() {
        List<String> out = new ArrayList<>();
        if (!DEFAULT_CLUSTER.equals(clusterName)) {
            out.add(clusterName);
        }
        out.addAll(tags);
        return out;
    }

    private static int port(DiscoverySettings s, String key, int defaultValue) {
        int port = s.getInt(key, defaultValue, 1);
        if (port > 65535) {
            throw new DiscoveryException("config key '" + key + "': expected a port from 1 to 65535, got '"
                    + port + "'");
        }
        return port;
    }

    private static List<Agent> agents(DiscoverySettings s, int defaultPort) {
        List<String> hosts = s.list(HOSTS);
        if (hosts.isEmpty()) {
            String host = s.get(HOST).orElse("localhost");
            return List.of(new Agent(stripBrackets(host), defaultPort));
        }
        if (s.get(HOST).isPresent()) {
            throw new DiscoveryException("config keys '" + HOST + "' and '" + HOSTS
                    + ".N' are both set; list every agent in " + HOSTS + ".N");
        }
        List<Agent> out = new ArrayList<>();
        for (String entry : hosts) {
            out.add(agent(entry, defaultPort));
        }
        return List.copyOf(out);
    }

    /** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}. */
    private static Agent agent(String entry, int defaultPort) {
        String host = entry;
        String port = null;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                throw badAgent(entry);
            }
            host = entry.substring(1, close);
            String rest = entry.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw badAgent(entry);
                }
                port = rest.substring(1);
            }
        } else {
            int colon = entry.indexOf(':');
            if (colon >= 0) {
                if (entry.indexOf(':', colon + 1) >= 0) {
                    throw badAgent(entry);
                }
                host = entry.substring(0, colon);
                port = entry.substring(colon + 1);
            }
        }
        if (host.isEmpty() || host.contains("/")) {
            throw badAgent(entry);
        }
        if (port == null) {
            return new Agent(host, defaultPort);
        }
        try {
            int p = Integer.parseInt(port);
            if (p >= 1 && p <= 65535) {
                return new Agent(host, p);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw badAgent(entry);
    }

    private static DiscoveryException badAgent(String entry) {
        return new DiscoveryException("config key '" + HOSTS + ".N': expected host, host:port or [IPv6]:port, got '"
                + entry + "'");
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** RabbitMQ's schema lets the bare family key say {@code none} (an empty family). */
    private static void noneOnly(DiscoverySettings s, String key) {
        s.get(key).ifPresent(v -> {
            if (!"none".equals(v.toLowerCase(Locale.ROOT))) {
                throw new DiscoveryException("config key '" + key + "': only 'none' may be set here; set entries as '"
                        + key + (key.equals(SVC_TAGS) ? ".1" : ".NAME") + "'");
            }
        });
    }

    private static Map<String, String> meta(DiscoverySettings s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : s.named(SVC_META).entrySet()) {
            String key = SVC_META + "." + e.getKey();
            if (!META_KEY.matcher(e.getKey()).matches()) {
                throw new DiscoveryException("config key '" + key + "': Consul meta names are 1 to 128 letters, digits, "
                        + "'_' or '-'");
            }
            if (e.getKey().startsWith("consul-")) {
                throw new DiscoveryException("config key '" + key + "': the 'consul-' prefix is reserved by Consul");
            }
            if (e.getKey().equals(META_NODE) || e.getKey().equals(META_CLUSTER_PORT)) {
                throw new DiscoveryException("config key '" + key + "': '" + e.getKey() + "' is written by Warren itself");
            }
            if (e.getValue().length() > 512) {
                throw new DiscoveryException("config key '" + key + "': Consul meta values are at most 512 characters");
            }
            out.put(e.getKey(), e.getValue());
        }
        return Map.copyOf(out);
    }

    /** {@code lock_timeout}, or its alias {@code lock_wait_time}; 300 s by default. */
    private static int lockTimeout(DiscoverySettings s) {
        boolean timeout = s.get(LOCK_TIMEOUT).isPresent();
        boolean wait = s.get(LOCK_WAIT_TIME).isPresent();
        int a = s.getInt(LOCK_TIMEOUT, 300, 1);
        int b = s.getInt(LOCK_WAIT_TIME, 300, 1);
        if (timeout && wait && a != b) {
            throw new DiscoveryException("config keys '" + LOCK_TIMEOUT + "' (" + a + ") and '" + LOCK_WAIT_TIME + "' ("
                    + b + ") are aliases and disagree; set one");
        }
        return timeout ? a : b;
    }
}
