package warren.discovery.k8s;

import static warren.discovery.k8s.KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.CERT_PATH_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.HOSTNAME_SUFFIX_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.HOST_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.NAMESPACE_PATH_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.PORT_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.SCHEME_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.SERVICE_NAME_KEY;
import static warren.discovery.k8s.KubernetesDiscoveryFactory.TOKEN_PATH_KEY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerNames;
import warren.discovery.http.BackendHttp;

/**
 * RabbitMQ 3.10's Kubernetes peer discovery: the pods behind a service, from
 * {@code GET /api/v1/namespaces/<namespace>/endpoints/<service_name>} with the pod's service
 * account token.
 *
 * <p>Every address of every subset is a peer, ready or not: pods that are still starting are
 * listed as {@code notReadyAddresses} and must find each other (RabbitMQ 3.10 only logs them). A
 * peer is named this node's prefix @ its IP ({@code address_type = ip}) or @ its hostname +
 * {@code hostname_suffix} ({@code hostname}, short or long as this node's own name) and is
 * contacted at its pod IP either way.
 *
 * <p>The token and the namespace are read at every discovery, because Kubernetes rotates
 * projected service account tokens. The API server's certificate is verified against
 * {@code cert_path} (RabbitMQ loads that file but does not verify); an
 * {@code ssl_options.cacertfile} takes precedence and {@code ssl_options.verify = verify_none}
 * turns verification off.
 */
final class KubernetesApiDiscovery extends KubernetesDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesApiDiscovery.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount/";
    /** RFC 1123 label: what Kubernetes allows for namespace and service names. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private final String localNodeName;
    private final URI apiBase;
    private final Path tokenPath;
    private final Path namespacePath;
    private final String serviceName;
    private final boolean useHostname;
    private final String hostnameSuffix;
    private final BackendHttp http;
    /** Where the trusted CA came from, for TLS errors; empty with http or verify_none. */
    private final String trustSource;

    KubernetesApiDiscovery(DiscoverySettings settings) {
        this(settings, BackendHttp.DEFAULT_TIMEOUT);
    }

    /** With a request timeout other than {@link BackendHttp#DEFAULT_TIMEOUT}, for tests. */
    KubernetesApiDiscovery(DiscoverySettings settings, Duration timeout) {
        super(settings);
        this.localNodeName = settings.localNodeName();
        String host = settings.get(HOST_KEY).orElse("kubernetes.default.svc.cluster.local");
        int port = settings.getInt(PORT_KEY, 443, 1);
        if (port > 65535) {
            throw new DiscoveryException("config key '" + PORT_KEY + "': expected a port of 1 to 65535, got '"
                    + port + "'");
        }
        String scheme = settings.getChoice(SCHEME_KEY, "https", "https", "http");
        try {
            this.apiBase = new URI(scheme, null, host, port, "/", null, null);
        } catch (java.net.URISyntaxException e) {
            throw new DiscoveryException("config key '" + HOST_KEY + "': '" + host + "' is not a host name", e);
        }
        this.tokenPath = readableFile(settings, TOKEN_PATH_KEY, "token");
        this.namespacePath = readableFile(settings, NAMESPACE_PATH_KEY, "namespace");
        this.serviceName = settings.get(SERVICE_NAME_KEY).orElse("rabbitmq");
        if (!DNS_LABEL.matcher(serviceName).matches()) {
            throw new DiscoveryException("config key '" + SERVICE_NAME_KEY + "': '" + serviceName
                    + "' is not a Kubernetes service name (lower-case letters, digits and '-', at most 63)");
        }
        this.useHostname = settings.getChoice(ADDRESS_TYPE_KEY, "ip", "ip", "hostname").equals("hostname");
        this.hostnameSuffix = settings.get(HOSTNAME_SUFFIX_KEY).orElse("");
        Client client = client(settings, scheme, timeout);
        this.http = client.http();
        this.trustSource = client.trustSource();
        if (!useHostname) {
            warn(LOG, "Peer discovery: " + ADDRESS_TYPE_KEY + " = ip names nodes after their pod IP (" + localNodeName
                    + "), which changes whenever a pod is recreated: the new pod is a different node and the old"
                    + " name stays in the cluster until forgotten. Use " + ADDRESS_TYPE_KEY
                    + " = hostname with a StatefulSet and a headless service");
        } else if (!hostnameSuffix.isEmpty() && !hostnameSuffix.startsWith(".")) {
            warn(LOG, "Peer discovery: " + HOSTNAME_SUFFIX_KEY + " = '" + hostnameSuffix + "' is appended to pod host"
                    + " names as written (rabbitmq-0" + hostnameSuffix + "); it usually starts with a dot");
        }
    }

    /** The HTTP client and where its trusted CA came from (empty with http or verify_none). */
    private record Client(BackendHttp http, String trustSource) {
    }

    /**
     * The API server's client: with https and verification on (the default), it trusts
     * {@code ssl_options.cacertfile} when set, else {@code cert_path}.
     */
    private static Client client(DiscoverySettings settings, String scheme, Duration timeout) {
        String caKey = KubernetesDiscoveryFactory.PREFIX + "ssl_options.cacertfile";
        boolean verify = !settings.get(KubernetesDiscoveryFactory.PREFIX + "ssl_options.verify")
                .map("verify_none"::equalsIgnoreCase).orElse(false);
        if (!scheme.equals("https") || !verify) {
            return new Client(BackendHttp.create(settings, KubernetesDiscoveryFactory.TYPE, timeout), "");
        }
        if (settings.get(caKey).isPresent()) {
            return new Client(BackendHttp.create(settings, KubernetesDiscoveryFactory.TYPE, timeout),
                    settings.get(caKey).get() + " (" + caKey + ")");
        }
        Path certPath = readableFile(settings, CERT_PATH_KEY, "ca.crt");
        return new Client(BackendHttp.create(withCaFile(settings, caKey, certPath), KubernetesDiscoveryFactory.TYPE,
                timeout), certPath + " (" + CERT_PATH_KEY + ")");
    }

    private static Path readableFile(DiscoverySettings settings, String key, String what) {
        String defaultFile = SA_DIR + what;
        Path path = Path.of(settings.get(key).orElse(defaultFile));
        if (!Files.isReadable(path) || Files.isDirectory(path)) {
            throw new DiscoveryException("config key '" + key + "': cannot read the service account " + what
                    + " file " + path + (settings.get(key).isEmpty() ? " (the default)" : "")
                    + "; the Kubernetes API mode needs the pod's service account mounted"
                    + " (automountServiceAccountToken)");
        }
        return path;
    }

    /**
     * The settings with {@code ssl_options.cacertfile} set to {@code cert_path}, so that
     * {@link BackendHttp} verifies the API server against the cluster's CA.
     */
    private static DiscoverySettings withCaFile(DiscoverySettings settings, String caKey, Path certPath) {
        Map<String, String> values = new HashMap<>();
        for (String key : settings.keys()) {
            settings.get(key).ifPresent(v -> values.put(key, v));
        }
        values.put(caKey, certPath.toString());
        return new DiscoverySettings(settings.localNodeName(), values, settings.localAddress().orElse(null),
                settings.localClusterPort());
    }

    @Override
    public DiscoveredPeers discover() {
        String namespace = readTrimmed(namespacePath, NAMESPACE_PATH_KEY);
        if (!DNS_LABEL.matcher(namespace).matches()) {
            throw new DiscoveryException("config key '" + NAMESPACE_PATH_KEY + "': " + namespacePath + " holds '"
                    + namespace + "', which is not a Kubernetes namespace name");
        }
        String token = readTrimmed(tokenPath, TOKEN_PATH_KEY);
        URI uri = apiBase.resolve("/api/v1/namespaces/" + namespace + "/endpoints/" + serviceName);
        HttpRequest request = http.request(uri).GET()
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request);
        } catch (DiscoveryException e) {
            if (e.getCause() instanceof SSLException && !trustSource.isEmpty()) {
                throw new DiscoveryException(e.getMessage() + "; the API server's certificate could not be verified"
                        + " (trusted CA: " + trustSource + ")", e);
            }
            throw e;
        }
        if (response.statusCode() != 200) {
            throw new DiscoveryException(failure(uri, namespace, response));
        }
        JsonNode endpoints = parse(uri, response.body());
        DiscoveredPeers peers = DiscoveredPeers.at(peers(endpoints), nodeType);
        LOG.debug("Peer discovery: Kubernetes endpoints {}/{} list {}", namespace, serviceName, peers.nodes());
        return peers;
    }

    private LinkedHashMap<String, String> peers(JsonNode endpoints) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        List<String> notReady = new ArrayList<>();
        for (JsonNode subset : endpoints.path("subsets")) {
            for (String field : List.of("addresses", "notReadyAddresses")) {
                for (JsonNode address : subset.path(field)) {
                    String ip = address.path("ip").asText("");
                    if (ip.isEmpty()) {
                        continue;
                    }
                    String host = useHostname ? address.path("hostname").asText("") : ip;
                    if (host.isEmpty()) {
                        LOG.warn("Peer discovery: Kubernetes endpoint {} ({}) has no hostname, so it cannot be named"
                                + " with {} = hostname; skipping it. Pods get a hostname from a StatefulSet whose"
                                + " serviceName is this headless service", ip, podName(address), ADDRESS_TYPE_KEY);
                        continue;
                    }
                    String name = PeerNames.peerName(localNodeName, useHostname ? host + hostnameSuffix : host);
                    out.putIfAbsent(name, ip);
                    if (field.equals("notReadyAddresses")) {
                        notReady.add(name);
                    }
                }
            }
        }
        if (!notReady.isEmpty()) {
            LOG.info("Peer discovery: Kubernetes endpoints include nodes not yet ready: {}", notReady);
        }
        return out;
    }

    private static String podName(JsonNode address) {
        JsonNode ref = address.path("targetRef");
        return ref.path("kind").asText("?") + " " + ref.path("name").asText("?");
    }

    private String failure(URI uri, String namespace, HttpResponse<String> response) {
        int status = response.statusCode();
        String reason = "";
        String message = "";
        try {
            JsonNode body = JSON.readTree(response.body());
            reason = body.path("reason").asText("");
            message = body.path("message").asText("");
        } catch (IOException e) {
            String body = response.body();
            message = body.length() > 200 ? body.substring(0, 200) + "..." : body;
        }
        String hint = switch (status) {
            case 401 -> "; the API server rejected the service account token in " + tokenPath + " (" + TOKEN_PATH_KEY
                    + ")";
            case 403 -> "; the pod's service account needs RBAC permission to get endpoints in namespace "
                    + namespace;
            case 404 -> "; check " + SERVICE_NAME_KEY + " ('" + serviceName + "') and the namespace in "
                    + namespacePath;
            default -> "";
        };
        return "k8s: GET " + uri + " answered " + status + (reason.isEmpty() ? "" : " " + reason)
                + (message.isEmpty() ? "" : ": " + message) + hint;
    }

    private static JsonNode parse(URI uri, String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new DiscoveryException("k8s: GET " + uri + " answered 200 without a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new DiscoveryException("k8s: GET " + uri + " answered 200 with malformed JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static String readTrimmed(Path path, String key) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            throw new DiscoveryException("config key '" + key + "': cannot read " + path + ": " + e, e);
        }
        if (text.isEmpty()) {
            throw new DiscoveryException("config key '" + key + "': " + path + " is empty");
        }
        return text;
    }
}
