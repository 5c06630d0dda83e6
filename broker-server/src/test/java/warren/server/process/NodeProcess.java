package warren.server.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import warren.server.config.NodeNames;

/**
 * A Warren node run as its own JVM ({@code java -cp <test classpath> warren.server.BrokerMain}), with
 * everything private under one directory: data dir, log base, cookie, node registry (run dir),
 * config file, and fresh free AMQP/control ports at every start (loopback only; never 5672, never
 * the user's home). The same data dir is reused across {@link #start()}s so restarts recover it.
 *
 * <p>The classpath is the test JVM's own {@code java.class.path} (broker-server/target/classes plus
 * every dependency jar), so it works in a plain {@code mvn test} where the server jar is not built yet.
 * {@link #close()} (call it from @AfterEach / finally) kills the process by PID if it still runs.
 */
public final class NodeProcess implements AutoCloseable {

    private final Path dir;
    private final String bareName;
    private final List<String> jvmOptions;
    private Process process;
    private int amqpPort;
    private int controlPort;
    private int starts;
    private int distPort;
    private int linkPort;
    private Path runDir;
    private Path cookieFile;
    private String extraConfig = "";
    private int fixedAmqpPort;
    private int fixedControlPort;
    private List<String> launcher = List.of();
    private String host = "127.0.0.1";
    private String fullName;
    private final Map<String, String> extraEnv = new java.util.LinkedHashMap<>();
    private final List<String> extraProperties = new ArrayList<>();

    public NodeProcess(Path dir, String... jvmOptions) {
        this.dir = dir;
        this.bareName = "persist" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        this.jvmOptions = List.of(jvmOptions.length == 0 ? new String[] {"-Xmx256m"} : jvmOptions);
        this.runDir = dir.resolve("run");
        this.cookieFile = dir.resolve("cookie");
    }

    /**
     * Shares a node registry (run dir) and cookie file with other nodes, as nodes of one machine do;
     * call before the first {@link #start()}.
     */
    public NodeProcess sharing(Path sharedRunDir, Path sharedCookieFile) {
        this.runDir = sharedRunDir;
        this.cookieFile = sharedCookieFile;
        return this;
    }

    /**
     * Extra {@code warren.conf} lines written after the listener at every start (e.g. cluster_formation
     * keys naming other nodes, which exist only once every NodeProcess is created).
     */
    public NodeProcess config(String lines) {
        this.extraConfig = lines.endsWith("\n") ? lines : lines + "\n";
        return this;
    }

    /** Starts on this AMQP port from now on instead of a fresh free one (e.g. a port something else holds). */
    public NodeProcess amqpPort(int port) {
        this.fixedAmqpPort = port;
        return this;
    }

    /**
     * A command the JVM is started through, e.g. {@code prlimit --nofile=1024:1024 --} to run the node with a
     * lowered file-descriptor limit; call before {@link #start()}.
     */
    public NodeProcess launcher(String... command) {
        this.launcher = List.of(command);
        return this;
    }

    /**
     * Runs the node as if on its own machine at {@code address} (a 127.0.0.0/8 address other than
     * 127.0.0.1): AMQP on {@code address:amqpPort}, and the cluster, control and data-link ports Warren
     * derives from it (+20000, +30000, +40000) on that address too, as peers found by a discovery
     * backend (and {@code warrenctl discover_peers}) expect;
     * {@link #commonPort} finds a port free for all of them. Call before the first {@link #start()}.
     */
    public NodeProcess host(String address, int amqpPort) {
        this.host = address;
        this.fixedAmqpPort = amqpPort;
        this.distPort = amqpPort + 20000;
        this.fixedControlPort = amqpPort + 30000;
        return this;
    }

    /** The full node name ({@code prefix@host}) instead of a random bare one; call before the first start. */
    public NodeProcess named(String nodeName) {
        this.fullName = nodeName;
        return this;
    }

    /** An extra environment variable of the node process (e.g. an AWS SDK endpoint); call before start. */
    public NodeProcess env(String name, String value) {
        extraEnv.put(name, value);
        return this;
    }

    /** JVM system properties for the node, added to its options (e.g. {@code jdk.net.hosts.file}). */
    public NodeProcess systemProperty(String name, String value) {
        extraProperties.add("-D" + name + "=" + value);
        return this;
    }

    /**
     * A port in 10000..25535 that, with +20000, +30000 and +40000, can be bound on every one of
     * {@code addresses}: the AMQP, cluster and link ports of nodes on separate (loopback) hosts.
     */
    public static int commonPort(List<String> addresses) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 10000 + ThreadLocalRandom.current().nextInt(15500);
            if (addresses.stream().allMatch(a -> bindable(a, port) && bindable(a, port + 20000)
                    && bindable(a, port + 30000) && bindable(a, port + 40000))) {
                return port;
            }
        }
        throw new AssertionError("no port free on all of " + addresses);
    }

    private static boolean bindable(String address, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The address the node listens on (127.0.0.1 unless {@link #host} chose another). */
    public String host() {
        return host;
    }

    /** The cluster (dist) port: chosen at the first start and kept, so peers can find the node again. */
    public int distPort() {
        return distPort;
    }

    public Path dir() {
        return dir;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public Path logBase() {
        return dir.resolve("log");
    }

    public String nodeName() {
        return fullName != null ? fullName : bareName + "@" + NodeNames.shortHostname();
    }

    /** The node's own log file (log.file under WARREN_LOG_BASE). */
    public Path logFile() {
        return logBase().resolve(nodeName() + ".log");
    }

    /** stdout+stderr of the current (last) process. */
    public Path consoleFile() {
        return dir.resolve("console-" + starts + ".log");
    }

    public int amqpPort() {
        return amqpPort;
    }

    public int controlPort() {
        return controlPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The environment a warrenctl run (WarrenCtl.run) needs to reach this node with {@code -n nodeName()}. */
    public Map<String, String> ctlEnv() {
        return Map.of("WARREN_RUN_DIR", runDir.toString(),
                "WARREN_COOKIE_FILE", cookieFile.toString(),
                "HOME", dir.toString());
    }

    /** What an in-process warrenctl run printed, and its exit code. */
    public record CtlResult(int code, String out, String err) {
    }

    /** Runs warrenctl in this JVM against this node ({@code -n nodeName()} and {@link #ctlEnv()} are added). */
    public CtlResult warrenctl(String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "-n";
        full[1] = nodeName();
        System.arraycopy(args, 0, full, 2, args.length);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = warren.server.cli.WarrenCtl.run(full, ctlEnv(), new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        return new CtlResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Starts the node process and waits (bounded) until its AMQP port accepts connections. */
    public NodeProcess start() throws IOException, InterruptedException {
        return start(Duration.ofSeconds(120));
    }

    public NodeProcess start(Duration timeout) throws IOException, InterruptedException {
        launch();
        return awaitReady(timeout);
    }

    /** Starts the node process without waiting for it (a restarting member may wait for its peers first). */
    public NodeProcess startInBackground() throws IOException {
        launch();
        return this;
    }

    /** Waits (bounded) until the started process accepts AMQP and is registered; fails if it exits first. */
    public NodeProcess awaitReady(Duration timeout) throws InterruptedException {
        Process p = process;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("node " + nodeName() + " exited with " + p.exitValue()
                        + " during startup; console:\n" + tail(consoleFile(), 60));
            }
            // ready = AMQP accepts and the node registry entry (written last at startup, after the
            // control listener) is there for this PID, so warrenctl -n finds it
            if (accepts(host, amqpPort) && registered(p.pid())) {
                return this;
            }
            p.waitFor(50, TimeUnit.MILLISECONDS);
        }
        kill9();
        throw new AssertionError("node " + nodeName() + " did not accept AMQP on port " + amqpPort + " within "
                + timeout + "; console:\n" + tail(consoleFile(), 60));
    }

    /** Starts the process and waits for it to exit by itself (bounded); returns the exit code. */
    public int startExpectingExit(Duration timeout) throws IOException, InterruptedException {
        Process p = launch();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill9();
            throw new AssertionError("node " + nodeName() + " still runs after " + timeout + "; console:\n"
                    + tail(consoleFile(), 60));
        }
        return p.exitValue();
    }

    private Process launch() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException("node " + nodeName() + " already runs (pid " + process.pid() + ")");
        }
        starts++;
        amqpPort = fixedAmqpPort > 0 ? fixedAmqpPort : freePort();
        controlPort = fixedControlPort > 0 ? fixedControlPort : freePort();
        if (distPort == 0) {
            distPort = freePort();
            linkPort = freePort();
        }
        Files.createDirectories(dir);
        Path conf = dir.resolve("warren.conf");
        Files.writeString(conf, "listeners.tcp.default = " + host + ":" + amqpPort + "\n"
                + (fixedControlPort > 0 ? "control.tcp.ip = " + host + "\n" : "") + extraConfig);
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(extraProperties);
        if (jvmOptions.stream().noneMatch(o -> o.matches("-XX:\\+Use\\w+GC"))) {
            cmd.add("-XX:+UseG1GC"); // unless the caller chose a collector
        }
        cmd.add("-Dwarren.home=" + dir);
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add("warren.server.BrokerMain");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(consoleFile().toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("WARREN_"));
        env.put("HOME", dir.toString());
        env.put("WARREN_NODENAME", fullName != null ? fullName : bareName);
        env.put("WARREN_NODE_PORT", String.valueOf(amqpPort));
        env.put("WARREN_CTL_PORT", String.valueOf(controlPort));
        env.put("WARREN_DIST_PORT", String.valueOf(distPort));
        if (linkPort > 0) { // else host(): Warren's derived layout
            env.put("WARREN_LINK_PORT", String.valueOf(linkPort));
        }
        env.put("WARREN_DATA_DIR", dataDir().toString());
        env.put("WARREN_LOG_BASE", logBase().toString());
        env.put("WARREN_COOKIE_FILE", cookieFile.toString());
        env.put("WARREN_RUN_DIR", runDir.toString());
        env.put("WARREN_CONFIG_FILE", conf.toString());
        env.putAll(extraEnv);
        process = pb.start();
        return process;
    }

    /** The test JVM's classpath: broker-server/target/classes and every dependency (no packaged jar needed). */
    static String classpath() {
        String cp = System.getProperty("java.class.path", "");
        for (String entry : cp.split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p.resolve("warren/server/BrokerMain.class"))) {
                return cp;
            }
            if (p.getFileName() != null && p.getFileName().toString().startsWith("warren-server") && Files.isRegularFile(p)) {
                return cp;
            }
        }
        throw new AssertionError("the test classpath has no warren.server.BrokerMain (broker-server/target/classes);"
                + " run the tests through Maven (mvn -B test -pl broker-server -am); java.class.path=" + cp);
    }

    /** SIGKILL (Process.destroyForcibly on the PID), then waits for the process to be gone. */
    public void kill9() throws InterruptedException {
        if (process == null) {
            return;
        }
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("node pid " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    /**
     * SIGTERM (clean stop through the shutdown hook); waits (bounded) and returns the exit code. Note: the
     * JVM exits with 143 (128 + SIGTERM) after a signal-initiated shutdown even though BrokerMain calls
     * System.exit(0) once the daemon stopped; see {@link #cleanExit(int)}.
     */
    public int stop() throws InterruptedException {
        return stop(Duration.ofSeconds(60));
    }

    public int stop(Duration timeout) throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill9();
            throw new AssertionError("node " + nodeName() + " did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    /** Whether a {@link #stop()} exit code means a clean stop (0, or 143 from a SIGTERM-initiated JVM shutdown). */
    public static boolean cleanExit(int code) {
        return code == 0 || code == 143;
    }

    /** Kills the process by PID if it still runs; never throws. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public ConnectionFactory factory() {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(host);
        f.setPort(amqpPort);
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setConnectionTimeout(10_000);
        f.setRequestedHeartbeat(0);
        return f;
    }

    public Connection connect() throws Exception {
        return factory().newConnection();
    }

    /** The whole node log plus all console output, for searching. */
    public String allLogs() {
        StringBuilder sb = new StringBuilder();
        try {
            if (Files.exists(logBase())) {
                try (var s = Files.list(logBase())) {
                    for (Path p : s.toList()) {
                        sb.append(Files.readString(p, StandardCharsets.ISO_8859_1));
                    }
                }
            }
            for (int i = 1; i <= starts; i++) {
                Path c = dir.resolve("console-" + i + ".log");
                if (Files.exists(c)) {
                    sb.append(Files.readString(c, StandardCharsets.ISO_8859_1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    public static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private boolean registered(long pid) {
        return new warren.server.NodeRegistry(runDir).lookup(nodeName())
                .map(e -> e.pid() == pid).orElse(false);
    }

    private static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A port free on 127.0.0.1, chosen in 20000..32767, below Linux's default ephemeral range
     * (ip_local_port_range starts at 32768). A port the kernel hands out (bind to port 0) would be free
     * now, but any loopback connection made before the node binds it — an HTTP request to etcd, a JGroups
     * client socket, another test's traffic — may take it as its local port meanwhile, and the node then
     * fails with eaddrinuse. (The range is fixed: reading /proc/sys/net/ipv4/ip_local_port_range from Java
     * under gVisor returns one byte.)
     */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20000 + ThreadLocalRandom.current().nextInt(12768);
            if (bindable("127.0.0.1", port)) {
                return port;
            }
        }
        throw new IOException("no free port in 20000..32767 on 127.0.0.1");
    }
}
