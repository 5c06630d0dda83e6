package warren.discovery.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A loopback stand-in for the Kubernetes API server, as far as peer discovery uses it: HTTPS on
 * 127.0.0.1 with a certificate signed by a test CA made at start (the {@code openssl} CLI; SAN
 * IP:127.0.0.1), serving {@code GET /api/v1/namespaces/<ns>/endpoints/<service>} as the real
 * server does. It checks what the real server checks, in the same order: the bearer token (401
 * Unauthorized), the namespace the service account may read (403 Forbidden), the object's existence
 * (404 NotFound); failures are {@code v1 Status} objects. It can fail every request with a chosen
 * status or answer slowly, and records every request.
 *
 * <p>It also writes what a pod has mounted under
 * {@code /var/run/secrets/kubernetes.io/serviceaccount}: the token, namespace and ca.crt files
 * ({@link #tokenFile()}, {@link #namespaceFile()}, {@link #caCertFile()}), and
 * {@link #settings()} gives the {@code cluster_formation.k8s.*} keys that point a node here.
 */
public final class KubernetesApiDouble implements AutoCloseable {

    /** An entry of an Endpoints subset: the pod's IP, its hostname (may be null) and its pod name. */
    public record Address(String ip, String hostname, String podName) {
        /** A StatefulSet pod: hostname and pod name are the same. */
        public static Address pod(String ip, String hostname) {
            return new Address(ip, hostname, hostname);
        }
    }

    /** A request as received: method, path (with query), and the Authorization header or null. */
    public record Request(String method, String path, String authorization) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENDPOINTS_PATH = Pattern.compile("/api/v1/namespaces/([^/]+)/endpoints/([^/?]+)");
    private static final String PASSWORD = "changeit";

    private final Path dir;
    private final String namespace;
    private final HttpsServer server;
    private final ExecutorService executor;
    private final Map<String, ObjectNode> endpoints = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile String acceptedToken;
    private volatile int failStatus;
    private volatile Duration delay = Duration.ZERO;

    private KubernetesApiDouble(Path dir, String namespace, SSLContext tls) throws IOException {
        this.dir = dir;
        this.namespace = namespace;
        Files.writeString(namespaceFile(), namespace + "\n");
        rotateToken("token-" + UUID.randomUUID());
        this.server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        this.server.setHttpsConfigurator(new HttpsConfigurator(tls));
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "k8s-api-double");
            t.setDaemon(true);
            return t;
        });
        this.server.setExecutor(executor);
        this.server.createContext("/", this::handle);
        this.server.start();
    }

    /** Starts a double for namespace {@code default}. */
    public static KubernetesApiDouble start() {
        return start("default");
    }

    /** Starts a double whose service account may read namespace {@code namespace} only. */
    public static KubernetesApiDouble start(String namespace) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("k8s-api-double");
            TestCa.Material ca = TestCa.material();
            Files.write(dir.resolve("ca.crt"), ca.caPem());
            Files.write(dir.resolve("other-ca.crt"), ca.otherCaPem());
            KeyStore keys = ca.serverKeyStore();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, PASSWORD.toCharArray());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            return new KubernetesApiDouble(dir, namespace, tls);
        } catch (IOException | GeneralSecurityException e) {
            deleteTree(dir);
            throw new IllegalStateException("cannot start the Kubernetes API double: " + e, e);
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The namespace the service account may read, also written to {@link #namespaceFile()}. */
    public String namespace() {
        return namespace;
    }

    /** The PEM CA that signed the server's certificate: a pod's {@code ca.crt}. */
    public Path caCertFile() {
        return dir.resolve("ca.crt");
    }

    /** A PEM CA that did not sign the server's certificate. */
    public Path otherCaCertFile() {
        return dir.resolve("other-ca.crt");
    }

    /** The service account token file, holding the token this double accepts. */
    public Path tokenFile() {
        return dir.resolve("token");
    }

    public Path namespaceFile() {
        return dir.resolve("namespace");
    }

    /** The token this double accepts now. */
    public String token() {
        return acceptedToken;
    }

    /** Accepts only {@code token} from now on, without touching the token file. */
    public void acceptToken(String token) {
        this.acceptedToken = token;
    }

    /** What the kubelet does when it rotates a projected token: a new token, accepted and in the file. */
    public void rotateToken(String token) {
        try {
            Files.writeString(tokenFile(), token + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptToken(token);
    }

    /** Serves the Endpoints of {@code service} in this double's namespace, replacing any before. */
    public void setEndpoints(String service, List<Address> ready, List<Address> notReady) {
        endpoints.put(service, endpointsObject(service, ready, notReady));
    }

    /** The service no longer exists: its Endpoints answer 404. */
    public void removeEndpoints(String service) {
        endpoints.remove(service);
    }

    /** Answers every request with {@code status} (e.g. 500) and a Status object; 0 answers normally. */
    public void failWith(int status) {
        this.failStatus = status;
    }

    /** Waits {@code delay} before answering each request. */
    public void delay(Duration delay) {
        this.delay = delay;
    }

    /** Every request received, oldest first. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The API-mode keys that point a node at this double (host, port, scheme, the three files). */
    public Map<String, String> settings() {
        Map<String, String> out = new TreeMap<>();
        out.put("cluster_formation.peer_discovery_backend", "k8s");
        out.put(KubernetesDiscoveryFactory.HOST_KEY, host());
        out.put(KubernetesDiscoveryFactory.PORT_KEY, Integer.toString(port()));
        out.put(KubernetesDiscoveryFactory.SCHEME_KEY, "https");
        out.put(KubernetesDiscoveryFactory.TOKEN_PATH_KEY, tokenFile().toString());
        out.put(KubernetesDiscoveryFactory.CERT_PATH_KEY, caCertFile().toString());
        out.put(KubernetesDiscoveryFactory.NAMESPACE_PATH_KEY, namespaceFile().toString());
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            requests.add(new Request(exchange.getRequestMethod(), query == null ? path : path + "?" + query,
                    exchange.getRequestHeaders().getFirst("Authorization")));
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (failStatus != 0) {
                status(exchange, failStatus, "InternalError",
                        "Internal error occurred: the double was told to fail with " + failStatus, null);
                return;
            }
            if (!("Bearer " + acceptedToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                status(exchange, 401, "Unauthorized", "Unauthorized", null);
                return;
            }
            Matcher m = ENDPOINTS_PATH.matcher(path);
            if (!m.matches()) {
                status(exchange, 404, "NotFound", "the server could not find the requested resource", null);
                return;
            }
            String ns = m.group(1);
            String name = m.group(2);
            if (!exchange.getRequestMethod().equals("GET")) {
                status(exchange, 405, "MethodNotAllowed", "the server does not allow this method on the requested"
                        + " resource", null);
                return;
            }
            if (!ns.equals(namespace)) {
                status(exchange, 403, "Forbidden", "endpoints \"" + name + "\" is forbidden: User"
                        + " \"system:serviceaccount:" + namespace + ":warren\" cannot get resource \"endpoints\" in"
                        + " API group \"\" in the namespace \"" + ns + "\"", name);
                return;
            }
            ObjectNode body = endpoints.get(name);
            if (body == null) {
                status(exchange, 404, "NotFound", "endpoints \"" + name + "\" not found", name);
                return;
            }
            send(exchange, 200, body);
        }
    }

    private ObjectNode endpointsObject(String service, List<Address> ready, List<Address> notReady) {
        ObjectNode root = JSON.createObjectNode();
        root.put("kind", "Endpoints");
        root.put("apiVersion", "v1");
        ObjectNode meta = root.putObject("metadata");
        meta.put("name", service);
        meta.put("namespace", namespace);
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("resourceVersion", Long.toString(System.nanoTime() & 0xffffff));
        meta.put("creationTimestamp", "2026-01-01T00:00:00Z");
        meta.putObject("labels").put("app.kubernetes.io/name", service);
        // The API server omits empty lists (omitempty): no subsets at all when no pod matches.
        if (!ready.isEmpty() || !notReady.isEmpty()) {
            ObjectNode subset = root.putArray("subsets").addObject();
            if (!ready.isEmpty()) {
                addresses(subset.putArray("addresses"), ready);
            }
            if (!notReady.isEmpty()) {
                addresses(subset.putArray("notReadyAddresses"), notReady);
            }
            ArrayNode ports = subset.putArray("ports");
            ports.addObject().put("name", "amqp").put("port", 5672).put("protocol", "TCP");
            ports.addObject().put("name", "cluster").put("port", 25672).put("protocol", "TCP");
        }
        return root;
    }

    private void addresses(ArrayNode out, List<Address> addresses) {
        for (Address a : addresses) {
            ObjectNode entry = out.addObject();
            entry.put("ip", a.ip());
            if (a.hostname() != null) {
                entry.put("hostname", a.hostname());
            }
            entry.put("nodeName", "worker-1");
            ObjectNode ref = entry.putObject("targetRef");
            ref.put("kind", "Pod");
            ref.put("namespace", namespace);
            ref.put("name", a.podName());
            ref.put("uid", UUID.nameUUIDFromBytes(a.podName().getBytes(StandardCharsets.UTF_8)).toString());
        }
    }

    private static void status(HttpExchange exchange, int code, String reason, String message, String name)
            throws IOException {
        ObjectNode s = JSON.createObjectNode();
        s.put("kind", "Status");
        s.put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Failure");
        s.put("message", message);
        s.put("reason", reason);
        if (name != null) {
            s.putObject("details").put("name", name).put("kind", "endpoints");
        }
        s.put("code", code);
        send(exchange, code, s);
    }

    private static void send(HttpExchange exchange, int code, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    /**
     * The test CA, a server certificate it signed (SAN IP:127.0.0.1, DNS:localhost) with its key,
     * and an unrelated CA, made once per JVM with the {@code openssl} CLI (Debian's openssl package).
     */
    static final class TestCa {

        record Material(byte[] caPem, byte[] otherCaPem, KeyStore serverKeyStore) {
        }

        private static final String EC = "ec_paramgen_curve:prime256v1";
        private static Material material;

        private TestCa() {
        }

        static synchronized Material material() throws IOException, GeneralSecurityException {
            if (material == null) {
                Path dir = Files.createTempDirectory("k8s-test-ca");
                try {
                    material = make(dir);
                } finally {
                    deleteTree(dir);
                }
            }
            return material;
        }

        private static Material make(Path d) throws IOException, GeneralSecurityException {
            for (String ca : List.of("ca", "other")) {
                openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", EC, "-nodes", "-keyout", ca + ".key",
                        "-out", ca + ".pem", "-days", "3", "-subj", "/CN=Warren Test " + ca + " CA",
                        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
            }
            openssl(d, "req", "-new", "-newkey", "ec", "-pkeyopt", EC, "-nodes", "-keyout", "server.key",
                    "-out", "server.csr", "-subj", "/CN=kubernetes",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc.cluster.local",
                    "-addext", "extendedKeyUsage=serverAuth");
            openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.pem", "-days", "3", "-copy_extensions", "copyall");
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            Certificate server;
            Certificate ca;
            try (InputStream in = Files.newInputStream(d.resolve("server.pem"));
                    InputStream caIn = Files.newInputStream(d.resolve("ca.pem"))) {
                server = x509.generateCertificate(in);
                ca = x509.generateCertificate(caIn);
            }
            String pem = Files.readString(d.resolve("server.key"));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, PASSWORD.toCharArray(), new Certificate[] {server, ca});
            return new Material(Files.readAllBytes(d.resolve("ca.pem")), Files.readAllBytes(d.resolve("other.pem")),
                    store);
        }

        private static void openssl(Path dir, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("openssl"));
            cmd.addAll(List.of(args));
            Process p;
            try {
                p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalStateException("the openssl CLI is missing: the Kubernetes tests make their test CA"
                        + " with it; .ci/run installs it (apt-get install -y openssl)", e);
            }
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("openssl timed out: " + cmd);
                }
                if (p.exitValue() != 0) {
                    throw new IOException("openssl failed (" + p.exitValue() + "): " + cmd + "\n" + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted while running openssl", e);
            }
        }
    }
}
