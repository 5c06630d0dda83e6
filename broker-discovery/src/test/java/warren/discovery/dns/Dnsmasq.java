package warren.discovery.dns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq (Debian package {@code dnsmasq}) serving only the records a test gives it, on
 * 127.0.0.1 and a free port, for tests of the {@code dns} backend and of formation with it.
 *
 * <p>It reads no system file (no /etc/resolv.conf, /etc/hosts or /etc/dnsmasq.conf), forwards
 * nothing, binds only 127.0.0.1, and is stopped by its PID. Names under the local domains
 * ({@code warren.test}, {@code in-addr.arpa}, {@code ip6.arpa} and those added with
 * {@link Builder#localDomain}) that have no record answer NXDOMAIN (dnsmasq also answers NXDOMAIN,
 * not NODATA, for the missing type of a name given with {@link Builder#address}); other names
 * answer REFUSED (no upstream).
 *
 * <pre>{@code
 * try (Dnsmasq dns = Dnsmasq.builder()
 *         .hostRecord("node1.warren.test", "127.0.0.11")        // A + PTR
 *         .address("seed.warren.test", "127.0.0.11")            // A only
 *         .srv("_warren._tcp.warren.test", "node1.warren.test", 25672, 0, 10)
 *         .start()) {
 *     settings.put("cluster_formation.dns.server", dns.server()); // "127.0.0.1:<port>"
 * }
 * }</pre>
 */
public final class Dnsmasq implements AutoCloseable {

    /** The address dnsmasq listens on. */
    public static final String HOST = "127.0.0.1";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern QUERY = Pattern.compile("query\\[(\\w+)\\] (\\S+) from ");

    private final Process process;
    private final int port;
    private final Path dir;
    private final List<String> output;

    private Dnsmasq(Process process, int port, Path dir, List<String> output) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.output = output;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The UDP/TCP port dnsmasq answers on (at {@link #HOST}). */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>}, the value for {@code cluster_formation.dns.server}. */
    public String server() {
        return HOST + ":" + port;
    }

    /** The dnsmasq process id. */
    public long pid() {
        return process.pid();
    }

    /** The queries dnsmasq received so far, in order, as {@code "TYPE name"} ("A seed.warren.test"). */
    public List<String> queries() {
        List<String> out = new ArrayList<>();
        for (String line : output) {
            Matcher m = QUERY.matcher(line);
            if (m.find()) {
                out.add(m.group(1) + " " + m.group(2));
            }
        }
        return out;
    }

    /** Everything dnsmasq printed so far (its log, with every query). */
    public List<String> log() {
        return List.copyOf(output);
    }

    /** Stops dnsmasq by its PID (TERM, then KILL after 5 s) and removes its files. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            deleteTree(dir);
        }
    }

    /** The records and options dnsmasq starts with. */
    public static final class Builder {

        private final List<String> localDomains =
                new ArrayList<>(List.of("warren.test", "in-addr.arpa", "ip6.arpa"));
        private final List<String> options = new ArrayList<>();

        private Builder() {
        }

        /**
         * A and/or AAAA records for {@code name} and, for each address the first time it is
         * given to any host record, a PTR record back to {@code name}.
         */
        public Builder hostRecord(String name, String... addresses) {
            options.add("--host-record=" + name + "," + String.join(",", addresses));
            return this;
        }

        /** An A (IPv4) or AAAA (IPv6) record for {@code name}, without a PTR; repeatable. */
        public Builder address(String name, String ip) {
            options.add("--address=/" + name + "/" + ip);
            return this;
        }

        /** A PTR record for {@code ip} pointing at {@code target}. */
        public Builder ptr(String ip, String target) {
            try {
                options.add("--ptr-record="
                        + org.xbill.DNS.ReverseMap.fromAddress(InetAddress.getByName(ip)) + ","
                        + target);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** An SRV record: {@code service} (e.g. {@code _warren._tcp.warren.test}) at target:port. */
        public Builder srv(String service, String target, int port, int priority, int weight) {
            options.add("--srv-host=" + service + "," + target + "," + port + "," + priority + ","
                    + weight);
            return this;
        }

        /** A CNAME record. */
        public Builder cname(String alias, String target) {
            options.add("--cname=" + alias + "," + target);
            return this;
        }

        /**
         * Another domain answered only from the given records (NXDOMAIN for unknown names), besides
         * warren.test, in-addr.arpa and ip6.arpa.
         */
        public Builder localDomain(String domain) {
            localDomains.add(domain);
            return this;
        }

        /** Any other dnsmasq option, verbatim. */
        public Builder option(String option) {
            options.add(option);
            return this;
        }

        /**
         * Starts dnsmasq and waits (bounded) until it answers a query.
         *
         * @throws IllegalStateException when dnsmasq is not installed or does not come up
         */
        public Dnsmasq start() {
            Path binary = findBinary();
            IllegalStateException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    return startOnce(binary, freePort());
                } catch (IllegalStateException e) {
                    last = e; // most likely the port was taken between probing and binding
                }
            }
            throw last;
        }

        private Dnsmasq startOnce(Path binary, int port) {
            Path dir;
            try {
                dir = Files.createTempDirectory("dnsmasq-test");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> command = new ArrayList<>(List.of(binary.toString(),
                    "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                    "--bind-interfaces", "--listen-address=" + HOST, "--port=" + port,
                    "--conf-file=/dev/null", "--pid-file=" + dir.resolve("dnsmasq.pid"),
                    "--cache-size=0", "--log-queries", "--log-facility=-"));
            if ("root".equals(System.getProperty("user.name"))) {
                command.add("--user=root"); // do not drop to the dnsmasq user, which may not exist
            }
            for (String domain : localDomains) {
                command.add("--local=/" + domain + "/");
            }
            command.addAll(options);
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException("could not run " + command, e);
            }
            List<String> output = new CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> readLines(process, output), "dnsmasq-" + port);
            reader.setDaemon(true);
            reader.start();
            Dnsmasq dnsmasq = new Dnsmasq(process, port, dir, output);
            try {
                awaitAnswer(process, port, output);
                return dnsmasq;
            } catch (RuntimeException e) {
                dnsmasq.close();
                throw e;
            }
        }
    }

    private static void awaitAnswer(Process process, int port, List<String> output) {
        SimpleResolver probe = new SimpleResolver(new InetSocketAddress(HOST, port));
        probe.setTimeout(Duration.ofMillis(200));
        Message query;
        try {
            query = Message.newQuery(Record.newRecord(Name.fromString("probe.warren.test."), Type.A,
                    org.xbill.DNS.DClass.IN));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited with " + process.exitValue()
                        + " on port " + port + ": " + output);
            }
            try {
                probe.send(query);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting dnsmasq", e);
                }
            }
        }
        throw new IllegalStateException("dnsmasq did not answer on " + HOST + ":" + port + " within "
                + START_TIMEOUT + ": " + output);
    }

    private static void readLines(Process process, List<String> output) {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static Path findBinary() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "dnsmasq"));
            }
        }
        candidates.add(Path.of("/usr/sbin/dnsmasq"));
        candidates.add(Path.of("/sbin/dnsmasq"));
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("dnsmasq is not installed (searched PATH, /usr/sbin, /sbin);"
                + " install the Debian package with 'apt-get install -y dnsmasq' — .ci/run"
                + " installs it");
    }

    /** A port free for both TCP and UDP on 127.0.0.1 at the moment of the call. */
    private static int freePort() {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(HOST, 0));
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(HOST, port))) {
                    return port;
                } catch (IOException taken) {
                    // UDP side in use: try another
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no port free for both TCP and UDP on " + HOST);
    }

    /** A UDP port on 127.0.0.1 nobody listens on at the moment of the call. */
    public static int unusedUdpPort() {
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(HOST, 0))) {
            return udp.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
