package warren.discovery.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-member etcd ({@code /usr/bin/etcd}, Debian package {@code etcd-server}; the
 * {@code etcdctl} helpers need {@code etcd-client}; {@code .ci/run} installs both) listening on
 * 127.0.0.1 at free ports, with its data in a temporary directory. Optionally serves clients over
 * TLS with client certificates ({@link Certificates}), and can turn on authentication.
 *
 * <pre>
 * try (EtcdServer etcd = EtcdServer.start()) {
 *     settings.put("cluster_formation.etcd.endpoints.1", etcd.endpoint());
 *     ...
 *     etcd.keys("/rabbitmq/");
 * }
 * </pre>
 *
 * {@link #close()} stops the process by its PID (SIGTERM, then SIGKILL after 5 s) and deletes the
 * directory. Health is checked on a separate plain-HTTP metrics port, so it works with TLS too.
 */
public final class EtcdServer implements AutoCloseable {

    public static final Path ETCD = Path.of("/usr/bin/etcd");
    public static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Path dir;
    private final int clientPort;
    private final int peerPort;
    private final Certificates tls;
    private final ObjectMapper json = new ObjectMapper();
    private volatile String rootPassword;

    private EtcdServer(Process process, Path dir, int clientPort, int peerPort, Certificates tls) {
        this.process = process;
        this.dir = dir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.tls = tls;
    }

    /** A plain-HTTP etcd. */
    public static EtcdServer start() {
        return start(null);
    }

    /**
     * An etcd serving clients over HTTPS with {@code tls}'s server certificate, requiring client
     * certificates signed by {@code tls}'s CA; plain HTTP when {@code tls} is null.
     */
    public static EtcdServer start(Certificates tls) {
        return start(tls, freePort());
    }

    /** A plain-HTTP etcd on a given client port (nodes configured before etcd comes up). */
    public static EtcdServer startOnPort(int clientPort) {
        return start(null, clientPort);
    }

    private static EtcdServer start(Certificates tls, int clientPort) {
        requireBinary(ETCD, "etcd-server");
        Path dir;
        try {
            dir = Files.createTempDirectory("warren-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int peerPort = freePort();
        int metricsPort = freePort();
        String scheme = tls == null ? "http" : "https";
        String clientUrl = scheme + "://127.0.0.1:" + clientPort;
        String peerUrl = "http://127.0.0.1:" + peerPort;
        List<String> command = new ArrayList<>(List.of(ETCD.toString(),
                "--name", "warren-test",
                "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "warren-test=" + peerUrl,
                "--initial-cluster-state", "new",
                "--listen-metrics-urls", "http://127.0.0.1:" + metricsPort,
                "--log-level", "warn"));
        if (tls != null) {
            command.addAll(List.of("--cert-file", tls.serverCert().toString(),
                    "--key-file", tls.serverKey().toString(),
                    "--client-cert-auth",
                    "--trusted-ca-file", tls.caFile().toString()));
        }
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("etcd.log").toFile()).start();
        } catch (IOException e) {
            deleteTree(dir);
            throw new UncheckedIOException("could not start " + ETCD, e);
        }
        EtcdServer server = new EtcdServer(process, dir, clientPort, peerPort, tls);
        try {
            server.awaitHealthy(metricsPort);
        } catch (RuntimeException | Error e) {
            String log = server.log();
            server.close();
            throw new IllegalStateException("etcd did not become healthy within " + START_TIMEOUT + ": " + log, e);
        }
        return server;
    }

    /** {@code 127.0.0.1:<port>}, as {@code cluster_formation.etcd.endpoints.N} takes it. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int clientPort() {
        return clientPort;
    }

    public int peerPort() {
        return peerPort;
    }

    /** {@code http(s)://127.0.0.1:<port>}. */
    public URI clientUrl() {
        return URI.create((tls == null ? "http" : "https") + "://" + endpoint());
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What etcd logged so far (warnings and errors). */
    public String log() {
        try {
            return Files.readString(dir.resolve("etcd.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Turns on authentication with user {@code root} (role root) and {@code password}; later helpers
     * of this class authenticate as root.
     */
    public void enableAuth(String password) {
        requireBinary(ETCDCTL, "etcd-client");
        etcdctl("role", "add", "root");
        etcdctl("user", "add", "root:" + password);
        etcdctl("user", "grant-role", "root", "root");
        etcdctl("auth", "enable");
        this.rootPassword = password;
    }

    /** Adds a user with readwrite access to keys starting with {@code prefix} (auth must be on). */
    public void addUser(String name, String password, String prefix) {
        etcdctl("role", "add", name + "-role");
        etcdctl("role", "grant-permission", name + "-role", "--prefix=true", "readwrite", prefix);
        etcdctl("user", "add", name + ":" + password);
        etcdctl("user", "grant-role", name, name + "-role");
    }

    /** The keys starting with {@code prefix}, in key order. */
    public List<String> keys(String prefix) {
        List<String> out = new ArrayList<>();
        for (JsonNode kv : range(prefix, true)) {
            out.add(decode(kv.path("key").asText()));
        }
        return out;
    }

    /** The value of {@code key}, or empty. */
    public Optional<String> get(String key) {
        List<JsonNode> kvs = range(key, false);
        return kvs.isEmpty() ? Optional.empty() : Optional.of(decode(kvs.get(0).path("value").asText()));
    }

    /** The lease ID {@code key} is bound to, 0 when none, or empty when the key is absent. */
    public Optional<Long> lease(String key) {
        List<JsonNode> kvs = range(key, false);
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0).path("lease").asLong(0));
    }

    /** The remaining TTL in seconds of lease {@code id}; -1 when it has expired or was revoked. */
    public long leaseTtl(long id) {
        JsonNode answer = readJson(etcdctl("lease", "timetolive", Long.toHexString(id), "-w", "json"));
        return answer.path("ttl").asLong(-1);
    }

    /** Puts {@code key = value} without a lease. */
    public void put(String key, String value) {
        etcdctl("put", key, value);
    }

    /** Runs etcdctl against this server (TLS and root credentials added) and answers its stdout. */
    public String etcdctl(String... args) {
        requireBinary(ETCDCTL, "etcd-client");
        List<String> command = new ArrayList<>(List.of(ETCDCTL.toString(), "--endpoints", clientUrl().toString(),
                "--dial-timeout", "5s", "--command-timeout", "5s"));
        if (tls != null) {
            command.addAll(List.of("--cacert", tls.caFile().toString(), "--cert", tls.clientCert().toString(),
                    "--key", tls.clientKey().toString()));
        }
        if (rootPassword != null) {
            command.addAll(List.of("--user", "root:" + rootPassword));
        }
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("ETCDCTL_API", "3");
        return run(pb, "etcdctl " + String.join(" ", args));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        deleteTree(dir);
    }

    // ---------------------------------------------------------------------------------------------

    private List<JsonNode> range(String key, boolean prefix) {
        List<String> args = new ArrayList<>(List.of("get", key, "-w", "json"));
        if (prefix) {
            args.add("--prefix");
        }
        JsonNode answer = readJson(etcdctl(args.toArray(new String[0])));
        List<JsonNode> out = new ArrayList<>();
        answer.path("kvs").forEach(out::add);
        return out;
    }

    private JsonNode readJson(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("etcdctl answered something that is not JSON: " + text, e);
        }
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private void awaitHealthy(int metricsPort) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/health"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with status " + process.exitValue());
            }
            try {
                HttpResponse<String> response = client.send(health, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"true\"")) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        throw new IllegalStateException("last /health answer: " + last);
    }

    static void requireBinary(Path binary, String debianPackage) {
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException(binary + " is missing: install the Debian package " + debianPackage
                    + " (apt-get install -y etcd-server etcd-client; .ci/run installs it)");
        }
    }

    /** A free TCP port on 127.0.0.1 (bound and released). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String run(ProcessBuilder pb, String what) {
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(what + " timed out");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(what + " failed with status " + p.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(what + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }

    /**
     * A throw-away PKI made with {@code openssl}: a CA, a server certificate for IP 127.0.0.1 and
     * DNS localhost (usable for client authentication too, which etcd's gateway needs), a client certificate, each key in PKCS#8 PEM, and a second, unrelated CA.
     */
    public static final class Certificates implements AutoCloseable {
        private static final Path OPENSSL = Path.of("/usr/bin/openssl");
        private final Path dir;

        private Certificates(Path dir) {
            this.dir = dir;
        }

        public static Certificates generate() {
            requireBinary(OPENSSL, "openssl");
            try {
                Path dir = Files.createTempDirectory("warren-etcd-pki-");
                Certificates c = new Certificates(dir);
                c.ca("ca", "warren-test-ca");
                c.ca("other-ca", "warren-other-ca");
                // clientAuth too: with --client-cert-auth etcd's JSON gateway dials etcd's own gRPC
                // port presenting the server certificate as its client certificate
                c.leaf("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        + "extendedKeyUsage=serverAuth,clientAuth\n");
                c.leaf("client", "warren-client", "extendedKeyUsage=clientAuth\n");
                return c;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void ca(String name, String cn) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + cn);
        }

        private void leaf(String name, String cn, String extensions) throws IOException {
            Files.writeString(dir.resolve(name + ".ext"), extensions);
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn);
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
        }

        private void openssl(String... args) {
            List<String> command = new ArrayList<>();
            command.add(OPENSSL.toString());
            command.addAll(List.of(args));
            run(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true),
                    "openssl " + args[0]);
        }

        public Path caFile() {
            return dir.resolve("ca.pem");
        }

        /** A CA that signed nothing here: trusting it instead of {@link #caFile()} must fail. */
        public Path otherCaFile() {
            return dir.resolve("other-ca.pem");
        }

        public Path serverCert() {
            return dir.resolve("server.pem");
        }

        public Path serverKey() {
            return dir.resolve("server.key");
        }

        public Path clientCert() {
            return dir.resolve("client.pem");
        }

        public Path clientKey() {
            return dir.resolve("client.key");
        }

        @Override
        public void close() {
            deleteTree(dir);
        }
    }
}
