package warren.discovery.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

/**
 * RabbitMQ's {@code cluster_formation.proxy.http_proxy}, {@code https_proxy} and
 * {@code proxy_exclusions.NAME} as a {@link ProxySelector}: requests to {@code http} URIs go through
 * the HTTP proxy, {@code https} ones through the HTTPS proxy (an HTTP CONNECT tunnel), and hosts
 * in the exclusions go direct. An exclusion matches the host exactly, or as a domain suffix when it
 * starts with a dot ({@code .svc.cluster.local}) or {@code *.}. A proxy is written
 * {@code host:port} or {@code http://host:port}; without a port, 80 for HTTP and 443 for HTTPS.
 */
public final class ProxySettings extends ProxySelector {

    public static final String HTTP_PROXY_KEY = "cluster_formation.proxy.http_proxy";
    public static final String HTTPS_PROXY_KEY = "cluster_formation.proxy.https_proxy";
    public static final String EXCLUSIONS_PREFIX = "cluster_formation.proxy.proxy_exclusions";

    private final InetSocketAddress httpProxy;
    private final InetSocketAddress httpsProxy;
    private final List<String> exclusions;

    private ProxySettings(InetSocketAddress httpProxy, InetSocketAddress httpsProxy, List<String> exclusions) {
        this.httpProxy = httpProxy;
        this.httpsProxy = httpsProxy;
        this.exclusions = exclusions;
    }

    /**
     * The proxies configured, or empty when neither proxy key is set.
     *
     * @throws DiscoveryException naming the key when a proxy is not {@code host:port}
     */
    public static Optional<ProxySettings> from(DiscoverySettings settings) {
        InetSocketAddress http = settings.get(HTTP_PROXY_KEY).map(v -> parse(HTTP_PROXY_KEY, v, 80)).orElse(null);
        InetSocketAddress https = settings.get(HTTPS_PROXY_KEY).map(v -> parse(HTTPS_PROXY_KEY, v, 443)).orElse(null);
        if (http == null && https == null) {
            return Optional.empty();
        }
        List<String> exclusions = new ArrayList<>();
        for (String host : settings.named(EXCLUSIONS_PREFIX).values()) {
            exclusions.add(host.toLowerCase(Locale.ROOT));
        }
        return Optional.of(new ProxySettings(http, https, List.copyOf(exclusions)));
    }

    static InetSocketAddress parse(String key, String value, int defaultPort) {
        String v = value.trim();
        int scheme = v.indexOf("://");
        if (scheme >= 0) {
            v = v.substring(scheme + 3);
        }
        if (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        if (v.contains("@") || v.contains("/") || v.isEmpty()) {
            throw new DiscoveryException("config key '" + key + "': expected host:port or http://host:port"
                    + " (no credentials or path), got '" + value + "'");
        }
        int colon = v.lastIndexOf(':');
        String host = v;
        int port = defaultPort;
        if (colon > 0 && !v.endsWith("]")) {
            host = v.substring(0, colon);
            try {
                port = Integer.parseInt(v.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new DiscoveryException("config key '" + key + "': the port of '" + value
                        + "' is not a number between 1 and 65535");
            }
        }
        return InetSocketAddress.createUnresolved(host.replace("[", "").replace("]", ""), port);
    }

    /** Whether requests to {@code host} bypass the proxy. */
    public boolean excluded(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        for (String rule : exclusions) {
            if (rule.startsWith("*.") ? h.endsWith(rule.substring(1))
                    : rule.startsWith(".") ? h.endsWith(rule) : h.equals(rule)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<Proxy> select(URI uri) {
        InetSocketAddress proxy = "https".equalsIgnoreCase(uri.getScheme()) ? httpsProxy : httpProxy;
        if (proxy == null || uri.getHost() == null || excluded(uri.getHost())) {
            return List.of(Proxy.NO_PROXY);
        }
        return List.of(new Proxy(Proxy.Type.HTTP, proxy));
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // the request fails with the I/O error and the backend's retry policy applies
    }

    @Override
    public String toString() {
        return "proxies http=" + httpProxy + " https=" + httpsProxy + " excluding " + exclusions;
    }
}
