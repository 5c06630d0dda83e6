package warren.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.server.config.ConfigError;
import warren.server.config.ServerSettings;
import warren.server.config.WarrenConfig;
import warren.server.control.AdminCommands;
import warren.server.control.ControlServer;
import warren.server.control.DaemonActions;
import warren.server.netty.AmqpServer;
import warren.server.netty.EventLoops;
import warren.core.store.rocksdb.RocksDbMessageStore;

/**
 * One node's lifecycle. Start order: (config, loaded by the caller) → cookie → broker → AMQP
 * listener → control listener → node registry entry; {@link #stop()} undoes them in reverse.
 * A failure part way stops what had started and rethrows.
 */
public final class BrokerDaemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerDaemon.class);

    private final WarrenConfig config;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long pid = ProcessHandle.current().pid();
    private Broker broker;
    private InetSocketAddress amqpAddress;
    private InetSocketAddress controlAddress;
    private Instant startedAt;
    private NodeRegistry registry;

    public BrokerDaemon(WarrenConfig config) {
        this.config = config;
    }

    /** Starts every part of the node; throws (after undoing what started) if one fails. */
    public BrokerDaemon start() {
        ServerSettings server = config.server();
        BrokerSettings settings = config.broker();
        try {
            LOG.info("Starting Warren {} node {} (pid {})", BrokerSettings.VERSION, server.nodeName(), pid);
            LOG.info("config file: {}", server.configFile() == null ? "(none, built-in defaults)" : server.configFile());
            LOG.info("data dir: {}, log base: {}, cookie file: {}", server.dataDir(), server.logBase(),
                    server.cookieFile());
            String cookie = Cookie.loadOrCreate(server.cookieFile());
            createDataDir(server);

            // Queues run on the I/O event loops (each loop is single-threaded, so a serial executor):
            // deliveries to a consumer on the same loop then need no thread hop.
            EventLoops loops = EventLoops.create();
            started.push(loops::close);
            // The store is opened (and recovered) before any listener accepts a client.
            RocksDbMessageStore store = new RocksDbMessageStore(server.dataDir().resolve("store"));
            started.push(store::close);
            broker = new Broker(settings, loops.queueExecutors(), store);
            started.push(broker);

            AmqpServer amqp = new AmqpServer(broker, server.listener().host(), server.listener().port(), loops);
            started.push(amqp);
            amqpAddress = amqp.start();

            ControlServer control = new ControlServer(server.nodeName(), cookie,
                    new AdminCommands(broker::admin, new Actions()));
            started.push(control);
            controlAddress = control.start("0.0.0.0", server.controlPort());

            registry = new NodeRegistry(server.runDir());
            registry.register(new NodeRegistry.Entry(server.nodeName(), pid, amqpAddress.getPort(),
                    controlAddress.getPort()));
            started.push(() -> registry.unregister(server.nodeName(), pid));

            startedAt = Instant.now();
            LOG.info("Server startup complete; node {} listening for AMQP 0-9-1 on {}, warrenctl on {}",
                    server.nodeName(), describe(amqpAddress), describe(controlAddress));
            return this;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while starting node " + server.nodeName(), e);
        } catch (IOException e) {
            stop();
            throw new ConfigError("node " + server.nodeName() + " could not start: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    private static void createDataDir(ServerSettings server) throws IOException {
        try {
            Files.createDirectories(server.dataDir());
        } catch (IOException e) {
            throw new IOException("data directory " + server.dataDir() + " could not be created (" + e
                    + "); set WARREN_DATA_DIR to a writable directory", e);
        }
    }

    public Broker broker() {
        return broker;
    }

    public WarrenConfig config() {
        return config;
    }

    public InetSocketAddress amqpAddress() {
        return amqpAddress;
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
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The daemon side of the control commands. */
    private final class Actions implements DaemonActions {

        @Override
        public Map<String, Object> nodeStatus() {
            ServerSettings s = config.server();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("node", s.nodeName());
            out.put("pid", pid);
            out.put("version", BrokerSettings.VERSION);
            out.put("java_version", Runtime.version().toString());
            out.put("uptime_seconds", startedAt == null ? 0 : Duration.between(startedAt, Instant.now()).toSeconds());
            out.put("listeners", List.of(
                    Map.of("protocol", "amqp", "interface", amqpAddress.getAddress().getHostAddress(),
                            "port", amqpAddress.getPort()),
                    Map.of("protocol", "warrenctl", "interface", controlAddress.getAddress().getHostAddress(),
                            "port", controlAddress.getPort())));
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
        public void requestStop() {
            Thread t = new Thread(BrokerDaemon.this::stop, "warren-stop");
            t.setDaemon(false);
            t.start();
        }
    }
}
