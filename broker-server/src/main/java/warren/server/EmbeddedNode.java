package warren.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import warren.core.broker.Broker;
import warren.server.config.ConfigLoader;
import warren.server.config.NodeNames;
import warren.server.config.WarrenConfig;

/**
 * A whole node in this JVM, for tests and embedding: config (reference defaults + the given
 * overrides, keys as in warren.conf), broker, AMQP listener and control listener.
 *
 * <p>Nothing touches the user's home or the machine's registry: by default the AMQP listener is
 * {@code 127.0.0.1:0}, the control listener a free port, and the data directory, cookie file, log
 * base and node registry live in a fresh temporary directory that {@link #close()} deletes.
 * {@code WARREN_CONFIG_FILE} and {@code config/warren.conf} are not read.
 */
public final class EmbeddedNode implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final BrokerDaemon daemon;
    private final Path tempDir;

    private EmbeddedNode(BrokerDaemon daemon, Path tempDir) {
        this.daemon = daemon;
        this.tempDir = tempDir;
    }

    /** Starts a node; {@code overrides} use warren.conf keys, e.g. {@code listeners.tcp.default = 127.0.0.1:0}. */
    public static EmbeddedNode start(Map<String, String> overrides) {
        return start(overrides, Map.of());
    }

    /**
     * Starts a node with {@code WARREN_*} variables as well (e.g. {@code WARREN_RUN_DIR} and
     * {@code WARREN_COOKIE_FILE} to share a registry and cookie with an in-process warrenctl).
     * The process environment is not consulted.
     */
    public static EmbeddedNode start(Map<String, String> overrides, Map<String, String> env) {
        Path temp;
        try {
            temp = Files.createTempDirectory("warren-embedded-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for an embedded node", e);
        }
        Map<String, String> effectiveEnv = new HashMap<>();
        effectiveEnv.put("WARREN_NODENAME", "embedded-" + ProcessHandle.current().pid() + "-"
                + COUNTER.incrementAndGet() + "@" + NodeNames.shortHostname());
        effectiveEnv.put("WARREN_CTL_PORT", "0");
        effectiveEnv.put("WARREN_DIST_PORT", "0");
        effectiveEnv.put("WARREN_DATA_DIR", temp.resolve("data").toString());
        effectiveEnv.put("WARREN_LOG_BASE", temp.resolve("log").toString());
        effectiveEnv.put("WARREN_COOKIE_FILE", temp.resolve("cookie").toString());
        effectiveEnv.put("WARREN_RUN_DIR", temp.resolve("run").toString());
        effectiveEnv.put("HOME", temp.toString());
        effectiveEnv.putAll(env);
        effectiveEnv.remove("WARREN_CONFIG_FILE");
        Map<String, String> effectiveOverrides = new HashMap<>();
        effectiveOverrides.put("listeners.tcp.default", "127.0.0.1:0");
        effectiveOverrides.put("log.file", "false");
        effectiveOverrides.putAll(overrides);
        try {
            WarrenConfig config = ConfigLoader.load(effectiveEnv, null, effectiveOverrides);
            return new EmbeddedNode(new BrokerDaemon(config).start(), temp);
        } catch (RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
    }

    public int amqpPort() {
        return daemon.amqpAddress().getPort();
    }

    public int controlPort() {
        return daemon.controlAddress().getPort();
    }

    public String nodeName() {
        return daemon.config().server().nodeName();
    }

    public Broker broker() {
        return daemon.broker();
    }

    /** The daemon, e.g. to wait for a stop requested through warrenctl. */
    public BrokerDaemon daemon() {
        return daemon;
    }

    @Override
    public void close() {
        daemon.stop();
        deleteTree(tempDir);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    p.toFile().setWritable(true);
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp dir left behind is harmless
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
