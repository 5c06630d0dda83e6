package warren.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.ClusterSettings;
import warren.cluster.membership.ClusterState;
import warren.cluster.membership.InconsistentClusterException;
import warren.core.broker.AdminException;
import warren.core.broker.Broker;
import warren.core.broker.BrokerAdmin;
import warren.core.broker.BrokerSettings;
import warren.server.config.ConfigError;
import warren.server.config.ServerSettings;
import warren.server.config.WarrenConfig;
import warren.server.control.AdminCommands;
import warren.server.control.ControlServer;
import warren.server.control.DaemonActions;

/**
 * One node's lifecycle. The node is what stays up: cookie, control listener (warrenctl), node
 * registry entry, logging. The app ({@link BrokerApp}: store, broker, cluster channel, AMQP
 * listener) runs inside it and can be stopped and started again ({@code stop_app}/{@code start_app})
 * while warrenctl still reaches the node. Start order: (config, loaded by the caller) → cookie →
 * control listener → app → node registry entry; {@link #stop()} undoes them in reverse. A failure
 * part way stops what had started and rethrows.
 */
public final class BrokerDaemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerDaemon.class);

    private final WarrenConfig config;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long pid = ProcessHandle.current().pid();
    private final ClusterSettings.Timeouts timeouts;
    private volatile BrokerApp app;
    private final FormationStatus formation = new FormationStatus();
    private volatile String cookie;
    private volatile ClusterState clusterState;
    private InetSocketAddress controlAddress;
    private Instant startedAt;
    private NodeRegistry registry;
    /** Where the app is (await_startup waits on it); guarded by itself, never by the daemon's lock. */
    private final Readiness readiness = new Readiness();

    public BrokerDaemon(WarrenConfig config) {
        this(config, ClusterSettings.Timeouts.production());
    }

    /** With other cluster timings (tests use {@link ClusterSettings.Timeouts#fast()}). */
    public BrokerDaemon(WarrenConfig config, ClusterSettings.Timeouts timeouts) {
        this.config = config;
        this.timeouts = timeouts;
    }

    /** Starts the node and its app; throws (after undoing what started) if one fails. */
    public BrokerDaemon start() {
        ServerSettings server = config.server();
        try {
            LOG.info("Starting Warren {} node {} (pid {})", BrokerSettings.VERSION, server.nodeName(), pid);
            LOG.info("config file: {}", server.configFile() == null ? "(none, built-in defaults)" : server.configFile());
            LOG.info("data dir: {}, log base: {}, cookie file: {}", server.dataDir(), server.logBase(),
                    server.cookieFile());
            // a busy AMQP port stops the boot before anything is written (data dir, cluster state, store)
            try {
                warren.server.netty.AmqpServer.checkCanListen(server.listener().host(), server.listener().port());
            } catch (ConfigError e) {
                throw new ConfigError("node " + server.nodeName() + " could not start: " + e.getMessage(), e);
            }
            // a malformed discovery setting stops every node at boot, naming the key, not only blank ones
            Discovery.validate(config);
            cookie = Cookie.loadOrCreate(server.cookieFile());
            createDataDir(server);
            clusterState = ClusterState.load(server.dataDir());

            ControlServer control = new ControlServer(server.nodeName(), cookie,
                    new AdminCommands(this::admin, new Actions()));
            started.push(control);
            controlAddress = control.start(controlHost(), server.controlPort());

            // warrenctl can reach the node while its app starts (e.g. force_boot while it waits for peers);
            // the entry names no cluster port until the app is in a cluster (formation anchors on it)
            registry = new NodeRegistry(server.runDir());
            registry.register(new NodeRegistry.Entry(server.nodeName(), pid, 0, controlAddress.getPort(), 0, null,
                    controlHost()));
            started.push(() -> registry.unregister(server.nodeName(), pid));

            startApp();
            started.push(this::stopApp);
            register();
            NodeCleanup.start(this, app.discovery().isPresent()).ifPresent(started::push);

            startedAt = Instant.now();
            readiness.set(Readiness.State.RUNNING, null);
            LOG.info("Server startup complete; node {} listening for AMQP 0-9-1 on {}, warrenctl on {}, cluster on {}",
                    server.nodeName(), describe(amqpAddress()), describe(controlAddress), describe(app.distAddress()));
            return this;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            bootFailed(e);
            throw new IllegalStateException("interrupted while starting node " + server.nodeName(), e);
        } catch (IOException e) {
            bootFailed(e);
            throw new ConfigError("node " + server.nodeName() + " could not start: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            bootFailed(e);
            throw e;
        }
    }

    /** Tells waiting await_startup callers why the boot failed (the control listener drains their replies), then stops. */
    private void bootFailed(Exception e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        readiness.set(Readiness.State.FAILED, "node " + config.server().nodeName() + " failed to boot: " + reason);
        stop();
    }

    private void register() throws IOException {
        ServerSettings server = config.server();
        BrokerApp current = app;
        registry.register(new NodeRegistry.Entry(server.nodeName(), pid,
                current == null ? 0 : current.amqpAddress().getPort(), controlAddress.getPort(),
                current == null ? server.distPort() : current.distAddress().getPort(),
                current == null ? null : current.distAddress().getAddress().getHostAddress(), controlHost()));
    }

    /** {@code control.tcp.ip}: the interface the warrenctl listener binds (default every interface, 0.0.0.0). */
    private String controlHost() {
        return String.valueOf(config.values().getOrDefault("control.tcp.ip", "0.0.0.0"));
    }

    /** Starts the app (store, broker, cluster channel, AMQP listener); a no-op if it runs. */
    synchronized void startApp() throws IOException, InterruptedException {
        if (app != null) {
            return;
        }
        ServerSettings server = config.server();
        LOG.info("Starting the app of node {}", server.nodeName());
        boolean booting = startedAt == null;
        readiness.set(Readiness.State.BOOTING, null);
        try {
            app = new BrokerApp(config, cookie, clusterState, timeouts).onWaitingForPeers(readiness::waitingFor)
                    .formationStatus(formation).start();
            if (registry != null) {
                register();
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (!booting) {
                readiness.set(Readiness.State.STOPPED, null); // a failed start_app leaves the node up, its app stopped
            }
            throw e;
        }
        if (!booting) {
            readiness.set(Readiness.State.RUNNING, null); // the first boot is RUNNING once start() has registered
        }
        LOG.info("App of node {} started: AMQP 0-9-1 on {}, cluster on {}", server.nodeName(), describe(amqpAddress()),
                describe(app.distAddress()));
    }

    /** Stops the app; the node keeps answering warrenctl. A no-op if it is stopped. */
    synchronized void stopApp() {
        if (app == null) {
            return;
        }
        LOG.info("Stopping the app of node {}", config.server().nodeName());
        readiness.set(Readiness.State.STOPPED, null);
        app.close();
        formation.set(FormationStatus.State.STOPPED, "");
        app = null;
        LOG.info("App of node {} stopped", config.server().nodeName());
    }

    /** The running app, or null while it is stopped. */
    BrokerApp app() {
        return app;
    }

    private BrokerAdmin admin() {
        BrokerApp current = app;
        if (current == null) {
            throw appStopped();
        }
        return current.broker().admin();
    }

    static AdminException appStopped() {
        return new AdminException("app_not_running", "this command requires the 'warren' app to be running on the "
                + "target node. Start it with 'warrenctl start_app'.");
    }

    private static void createDataDir(ServerSettings server) throws IOException {
        try {
            Files.createDirectories(server.dataDir());
        } catch (IOException e) {
            throw new IOException("data directory " + server.dataDir() + " could not be created (" + e
                    + "); set WARREN_DATA_DIR to a writable directory", e);
        }
    }

    /** The running app's broker, or null while the app is stopped. */
    public Broker broker() {
        BrokerApp current = app;
        return current == null ? null : current.broker();
    }

    /** The node's cookie (for calls to other members' control listeners). */
    String cookie() {
        return cookie;
    }

    /** The node's view of its cluster (cluster.state). */
    public ClusterState clusterState() {
        return clusterState;
    }

    public WarrenConfig config() {
        return config;
    }

    /** The running app's AMQP listener, or null while the app is stopped. */
    public InetSocketAddress amqpAddress() {
        BrokerApp current = app;
        return current == null ? null : current.amqpAddress();
    }

    public InetSocketAddress controlAddress() {
        return controlAddress;
    }

    /** Stops in reverse start order; safe to call more than once and from any thread. */
    public void stop() {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        try {
            if (startedAt != null) {
                LOG.info("Stopping node {}", config.server().nodeName());
            }
            readiness.set(Readiness.State.STOPPED, null);
            while (!started.isEmpty()) {
                AutoCloseable part = started.pop();
                try {
                    part.close();
                } catch (Exception e) {
                    LOG.warn("while stopping node {}: {} failed to close", config.server().nodeName(), part, e);
                }
            }
            if (startedAt != null) {
                LOG.info("Node {} stopped", config.server().nodeName());
            }
        } finally {
            stopped.countDown();
        }
    }

    /** Blocks until {@link #stop()} has completed. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        stop();
    }

    private static String describe(InetSocketAddress a) {
        return a == null ? "(stopped)" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The daemon side of the control commands. */
    private final class Actions implements DaemonActions {
        private final ClusterAdmin cluster = new ClusterAdmin(BrokerDaemon.this);

        @Override
        public Map<String, Object> nodeStatus() {
            ServerSettings s = config.server();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("node", s.nodeName());
            out.put("pid", pid);
            out.put("version", BrokerSettings.VERSION);
            out.put("java_version", Runtime.version().toString());
            out.put("uptime_seconds", startedAt == null ? 0 : Duration.between(startedAt, Instant.now()).toSeconds());
            BrokerApp current = app;
            out.put("app_running", current != null);
            List<Map<String, Object>> listeners = new ArrayList<>();
            if (current != null) {
                listeners.add(Map.of("protocol", "amqp", "interface",
                        current.amqpAddress().getAddress().getHostAddress(), "port", current.amqpAddress().getPort()));
                listeners.add(Map.of("protocol", "clustering", "interface",
                        current.distAddress().getAddress().getHostAddress(), "port", current.distAddress().getPort()));
            }
            listeners.add(Map.of("protocol", "warrenctl", "interface", controlAddress.getAddress().getHostAddress(),
                    "port", controlAddress.getPort()));
            out.put("listeners", listeners);
            out.put("data_directory", s.dataDir().toString());
            out.put("config_files", s.configFile() == null ? List.of() : List.of(s.configFile().toString()));
            out.put("log_files", s.logging().file() == null ? List.of() : List.of(s.logging().file().toString()));
            Runtime rt = Runtime.getRuntime();
            out.put("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
            out.put("heap_max_bytes", rt.maxMemory());
            out.put("processors", ManagementFactory.getOperatingSystemMXBean().getAvailableProcessors());
            return out;
        }

        @Override
        public void stopApp() {
            BrokerDaemon.this.stopApp();
        }

        @Override
        public void awaitStartup(long timeoutMillis) {
            readiness.await(timeoutMillis);
        }

        @Override
        public void startApp() {
            try {
                BrokerDaemon.this.startApp();
            } catch (InconsistentClusterException e) {
                LOG.error("start_app on node {} refused: {}", config.server().nodeName(), e.getMessage());
                throw new AdminException("inconsistent_cluster", e.getMessage());
            } catch (IOException | RuntimeException e) {
                LOG.error("start_app on node {} failed", config.server().nodeName(), e);
                throw new AdminException("start_failed", "node " + config.server().nodeName()
                        + " could not start its app: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("start_failed", "interrupted while starting the app");
            }
        }

        @Override
        public Map<String, Object> clusterStatus() {
            return cluster.status();
        }

        @Override
        public Map<String, Object> formationStatus() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("node", config.server().nodeName());
            out.putAll(formation.snapshot());
            return out;
        }

        @Override
        public Map<String, Object> discoverPeers() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("node", config.server().nodeName());
            out.putAll(DiscoverPeers.run(config, cookie));
            return out;
        }

        @Override
        public void joinCluster(String node, boolean ram) {
            synchronized (BrokerDaemon.this) {
                cluster.joinCluster(node, ram);
            }
        }

        @Override
        public void reset() {
            synchronized (BrokerDaemon.this) {
                cluster.reset();
            }
        }

        @Override
        public void forceReset() {
            synchronized (BrokerDaemon.this) {
                cluster.forceReset();
            }
        }

        @Override
        public void forgetClusterNode(String node, boolean offline) {
            synchronized (BrokerDaemon.this) {
                cluster.forget(node, offline);
            }
        }

        @Override
        public void changeNodeType(String type) {
            synchronized (BrokerDaemon.this) {
                cluster.changeNodeType(type);
            }
        }

        @Override
        public void forceBoot() {
            // not under the daemon's lock: start_app holds it while the app waits for its peers
            cluster.forceBoot();
        }

        @Override
        public void requestStop() {
            Thread t = new Thread(BrokerDaemon.this::stop, "warren-stop");
            t.setDaemon(false);
            t.start();
        }
    }
}
