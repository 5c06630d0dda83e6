package warren.discovery.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

/**
 * The HTTP client of one discovery backend: the JDK's {@link HttpClient} with the proxies of
 * {@code cluster_formation.proxy.*} and the TLS of {@code cluster_formation.<backend>.ssl_options.*},
 * and every request logged at DEBUG with its method, URI (never its headers, which carry tokens),
 * status code and time. Building it does no network I/O, so factories may build it in
 * {@code create}.
 */
public final class BackendHttp {

    private static final Logger LOG = LoggerFactory.getLogger(BackendHttp.class);

    /** The request timeout when a backend gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final String backend;
    private final HttpClient client;
    private final Duration timeout;

    private BackendHttp(String backend, HttpClient client, Duration timeout) {
        this.backend = backend;
        this.client = client;
        this.timeout = timeout;
    }

    /**
     * The client for backend {@code type} ({@code etcd}), reading {@code cluster_formation.proxy.*}
     * and {@code cluster_formation.<type>.ssl_options.*}.
     *
     * @throws DiscoveryException naming the key when a proxy or TLS setting is malformed
     */
    public static BackendHttp create(DiscoverySettings settings, String type, Duration timeout) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        ProxySettings.from(settings).ifPresent(builder::proxy);
        Optional<TlsSettings> tls = TlsSettings.from(settings, "cluster_formation." + type);
        tls.ifPresent(t -> builder.sslContext(t.context()).sslParameters(t.parameters()));
        return new BackendHttp(type, builder.build(), timeout);
    }

    /** The keys this class reads for backend {@code type}: the proxy keys and its ssl_options. */
    public static List<String> configKeys(String type) {
        List<String> keys = new ArrayList<>(commonKeys());
        keys.addAll(TlsSettings.configKeys("cluster_formation." + type));
        return keys;
    }

    /** The ssl_options keys Warren rejects for backend {@code type}, with why. */
    public static Map<String, String> unsupportedKeys(String type) {
        return new LinkedHashMap<>(TlsSettings.unsupportedKeys("cluster_formation." + type));
    }

    /** The proxy keys, shared by every HTTP backend. */
    public static List<String> commonKeys() {
        return List.of(ProxySettings.HTTP_PROXY_KEY, ProxySettings.HTTPS_PROXY_KEY,
                ProxySettings.EXCLUSIONS_PREFIX + ".NAME");
    }

    /** A request builder for {@code uri} with this client's timeout. */
    public HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(timeout);
    }

    /**
     * Sends {@code request} and answers the response whatever its status; the caller decides what
     * a status means.
     *
     * @throws DiscoveryException when no response came (refused, timed out, TLS failed), naming the
     *     backend, the method and the URI
     */
    public HttpResponse<String> send(HttpRequest request) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{}: {} {} -> {} ({} ms)", backend, request.method(), request.uri(), response.statusCode(),
                        (System.nanoTime() - start) / 1_000_000);
            }
            return response;
        } catch (IOException e) {
            LOG.debug("{}: {} {} -> no response ({} ms): {}", backend, request.method(), request.uri(),
                    (System.nanoTime() - start) / 1_000_000, e.toString());
            throw new DiscoveryException(backend + ": " + request.method() + " " + request.uri() + " failed: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DiscoveryException(backend + ": interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    /** The backend's type, as it prefixes log lines and errors. */
    public String backend() {
        return backend;
    }
}
