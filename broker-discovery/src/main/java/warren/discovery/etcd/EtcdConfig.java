package warren.discovery.etcd;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;

/**
 * The {@code cluster_formation.etcd.*} settings, read and checked once when the backend is built
 * (no I/O). Every malformed value is reported naming its key.
 */
final class EtcdConfig {

    static final String P = "cluster_formation.etcd.";
    static final String ENDPOINTS = P + "endpoints";
    static final String HOST = P + "host";
    static final String PORT = P + "port";
    static final String SCHEME = P + "scheme";
    static final String KEY_PREFIX = P + "key_prefix";
    static final String CLUSTER_NAME = P + "cluster_name";
    static final String NODE_TTL = P + "node_ttl";
    static final String LOCK_TIMEOUT = P + "lock_timeout";
    static final String LOCK_WAIT_TIME = P + "lock_wait_time";
    static final String USERNAME = P + "username";
    static final String PASSWORD = P + "password";
    static final String SSL_OPTIONS = P + "ssl_options";

    static final int DEFAULT_PORT = 2379;
    static final int DEFAULT_NODE_TTL = 30;
    static final int DEFAULT_LOCK_TIMEOUT = 300;

    final List<URI> endpoints;
    final String keyPrefix;
    final String clusterName;
    final int nodeTtlSeconds;
    final Duration lockTimeout;
    final Optional<String> username;
    final Optional<String> password;
    final NodeType nodeType;

    private EtcdConfig(List<URI> endpoints, String keyPrefix, String clusterName, int nodeTtlSeconds,
            Duration lockTimeout, Optional<String> username, Optional<String> password, NodeType nodeType) {
        this.endpoints = List.copyOf(endpoints);
        this.keyPrefix = keyPrefix;
        this.clusterName = clusterName;
        this.nodeTtlSeconds = nodeTtlSeconds;
        this.lockTimeout = lockTimeout;
        this.username = username;
        this.password = password;
        this.nodeType = nodeType;
    }

    static EtcdConfig from(DiscoverySettings settings) {
        boolean tls = settings.keys().stream().anyMatch(k -> k.startsWith(SSL_OPTIONS + "."));
        settings.get(SSL_OPTIONS).ifPresent(v -> {
            if (!v.equalsIgnoreCase("none")) {
                throw new DiscoveryException("config key '" + SSL_OPTIONS + "': expected none (no TLS), got '" + v
                        + "'; TLS is configured with the " + SSL_OPTIONS + ".* keys");
            }
            if (tls) {
                throw new DiscoveryException("config key '" + SSL_OPTIONS + "' is none but " + SSL_OPTIONS
                        + ".* keys are set; remove one or the other");
            }
        });
        String defaultScheme = settings.getChoice(SCHEME, tls ? "https" : "http", "http", "https");
        List<URI> endpoints = new ArrayList<>();
        Optional<String> single = settings.get(ENDPOINTS);
        if (single.isPresent() && !single.get().equalsIgnoreCase("none")) {
            for (String e : single.get().split("[,\\s]+")) {
                if (!e.isEmpty()) {
                    endpoints.add(endpoint(ENDPOINTS, e, defaultScheme));
                }
            }
        }
        if (single.isEmpty() || !single.get().equalsIgnoreCase("none")) {
            for (String e : settings.list(ENDPOINTS)) {
                endpoints.add(endpoint(keyOf(settings, ENDPOINTS + ".", e), e, defaultScheme));
            }
        } else if (!settings.list(ENDPOINTS).isEmpty()) {
            throw new DiscoveryException("config key '" + ENDPOINTS + "' is none but " + ENDPOINTS
                    + ".N keys are set; remove one or the other");
        }
        int port = settings.getInt(PORT, DEFAULT_PORT, 1);
        if (port > 65535) {
            throw new DiscoveryException("config key '" + PORT + "': expected a port 1-65535, got '" + port + "'");
        }
        Optional<String> host = settings.get(HOST);
        if (host.isPresent() || settings.get(PORT).isPresent() || endpoints.isEmpty()) {
            // RabbitMQ appends the older host/port form after the endpoints list.
            String h = host.orElse("localhost");
            endpoints.add(endpoint(HOST, bracketed(h) + ":" + port, defaultScheme));
        }
        String keyPrefix = segment(settings, KEY_PREFIX, "rabbitmq");
        String clusterName = segment(settings, CLUSTER_NAME, "default");
        int ttl = settings.getInt(NODE_TTL, DEFAULT_NODE_TTL, 1);
        String lockKey = settings.get(LOCK_TIMEOUT).isPresent() ? LOCK_TIMEOUT : LOCK_WAIT_TIME;
        int lockTimeout = settings.getInt(lockKey, DEFAULT_LOCK_TIMEOUT, 0);
        Optional<String> username = settings.get(USERNAME);
        Optional<String> password = settings.get(PASSWORD);
        if (password.isPresent() && username.isEmpty()) {
            throw new DiscoveryException("config key '" + USERNAME + "' is not set; " + PASSWORD
                    + " is set and etcd authenticates a user name with it");
        }
        NodeType nodeType = settings.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        return new EtcdConfig(endpoints, keyPrefix, clusterName, ttl, Duration.ofSeconds(lockTimeout), username,
                password, nodeType);
    }

    /** {@code /rabbitmq/discovery/<prefix>/clusters/<cluster>/nodes/} (trailing slash included). */
    String nodesPrefix() {
        return "/rabbitmq/discovery/" + keyPrefix + "/clusters/" + clusterName + "/nodes/";
    }

    /** RabbitMQ's registration lock key {@code /rabbitmq/locks/<prefix>/clusters/<cluster>/registration}. */
    String lockKey() {
        return "/rabbitmq/locks/" + keyPrefix + "/clusters/" + clusterName + "/registration";
    }

    private static String segment(DiscoverySettings settings, String key, String defaultValue) {
        String v = settings.get(key).orElse(defaultValue);
        if (v.contains("/")) {
            throw new DiscoveryException("config key '" + key + "': '" + v
                    + "' contains '/', which would change the key layout; use another character");
        }
        return v;
    }

    private static String keyOf(DiscoverySettings settings, String prefix, String value) {
        return settings.keys().stream()
                .filter(k -> k.startsWith(prefix) && settings.get(k).equals(Optional.of(value)))
                .findFirst().orElse(prefix + "N");
    }

    private static String bracketed(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** {@code host}, {@code host:port}, {@code [v6]:port} or {@code http(s)://host:port}. */
    static URI endpoint(String key, String value, String defaultScheme) {
        String v = value.trim();
        String scheme = defaultScheme;
        int sep = v.indexOf("://");
        if (sep >= 0) {
            scheme = v.substring(0, sep).toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new DiscoveryException("config key '" + key + "': '" + value
                        + "' has scheme " + scheme + "; expected http or https");
            }
            v = v.substring(sep + 3);
        }
        if (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        String hostPart = v;
        String portPart = null;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) {
                throw bad(key, value);
            }
            hostPart = v.substring(0, close + 1);
            String rest = v.substring(close + 1);
            if (rest.startsWith(":")) {
                portPart = rest.substring(1);
            } else if (!rest.isEmpty()) {
                throw bad(key, value);
            }
        } else {
            int colon = v.lastIndexOf(':');
            if (colon >= 0) {
                if (v.indexOf(':') != colon) {
                    hostPart = "[" + v + "]"; // bare IPv6 literal without port
                } else {
                    hostPart = v.substring(0, colon);
                    portPart = v.substring(colon + 1);
                }
            }
        }
        int port = DEFAULT_PORT;
        if (portPart != null) {
            try {
                port = Integer.parseInt(portPart);
            } catch (NumberFormatException e) {
                throw bad(key, value);
            }
            if (port < 1 || port > 65535) {
                throw bad(key, value);
            }
        }
        if (hostPart.isEmpty() || hostPart.contains("/") || hostPart.contains("@")) {
            throw bad(key, value);
        }
        try {
            return URI.create(scheme + "://" + hostPart + ":" + port);
        } catch (IllegalArgumentException e) {
            throw bad(key, value);
        }
    }

    private static DiscoveryException bad(String key, String value) {
        return new DiscoveryException("config key '" + key + "': '" + value
                + "' is not an etcd endpoint; expected host:port such as one.etcd.example.local:2379");
    }
}
