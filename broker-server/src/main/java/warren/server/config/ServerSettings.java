package warren.server.config;

import java.nio.file.Path;

/**
 * What the daemon itself needs beyond {@link warren.core.broker.BrokerSettings}: where to listen,
 * where the cookie, logs, data and node registry live, and where the configuration came from.
 *
 * @param nodeName        e.g. {@code warren@host1}
 * @param listener        the AMQP listener ({@code listeners.tcp.default}, port from {@code WARREN_NODE_PORT})
 * @param controlPort     the warrenctl control listener ({@code WARREN_CTL_PORT}, default AMQP + 30000)
 * @param distPort        the cluster port ({@code WARREN_DIST_PORT}, default AMQP + 20000; carried for broker-cluster)
 * @param linkPort        the inter-node data link ({@code WARREN_LINK_PORT}, default cluster port + 20000 when
 *                        that is a valid port, else any free port; peers learn it from the node's status)
 * @param managementPort  {@code management.tcp.port} (accepted; the HTTP API comes later)
 * @param cookieFile      the shared secret ({@code WARREN_COOKIE_FILE}, default {@code $HOME/.warren.cookie})
 * @param dataDir         {@code WARREN_DATA_DIR}
 * @param logBase         {@code WARREN_LOG_BASE}
 * @param runDir          the per-machine node registry ({@code WARREN_RUN_DIR})
 * @param logging         console/file log settings
 * @param configFile      the operator file that was read, or null when none was
 * @param defaultPermissions {@code default_permissions.*} for the default user on the default vhost
 */
public record ServerSettings(
        String nodeName,
        Listener listener,
        int controlPort,
        int distPort,
        int linkPort,
        int managementPort,
        Path cookieFile,
        Path dataDir,
        Path logBase,
        Path runDir,
        LogSettings logging,
        Path configFile,
        Permissions defaultPermissions) {

    /**
     * Log destinations and levels (RabbitMQ level names: debug, info, warning, error, critical, none).
     *
     * @param file the log file, or null when {@code log.file = false}
     */
    public record LogSettings(boolean console, String consoleLevel, Path file, String fileLevel) {
    }

    /** A configure/write/read permission triple of regular expressions. */
    public record Permissions(String configure, String write, String read) {
    }
}
