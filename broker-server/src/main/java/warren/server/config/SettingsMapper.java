package warren.server.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import warren.core.broker.BrokerSettings;

/**
 * Turns validated key values and the {@code WARREN_*} environment variables into
 * {@link BrokerSettings} and {@link ServerSettings}. Environment variables win over the file
 * (documented in docs/configuration.md) and are validated like keys, naming the variable.
 */
final class SettingsMapper {

    static final int CONTROL_PORT_OFFSET = 30000;
    static final int DIST_PORT_OFFSET = 20000;
    /** Data link port = cluster port + this (45672 for the default 25672). */
    static final int LINK_PORT_OFFSET = 20000;

    private SettingsMapper() {
    }

    static WarrenConfig map(Map<String, Object> values, Map<String, String> env, Path home, Path configFile) {
        String nodeName = nodeName(env);
        Listener listener = (Listener) values.get("listeners.tcp.default");
        Long nodePort = envValue(env, "WARREN_NODE_PORT", ValueType.port());
        if (nodePort != null) {
            listener = listener.withPort(nodePort.intValue());
        }
        int controlPort = derivedPort(env, "WARREN_CTL_PORT", listener.port(), CONTROL_PORT_OFFSET);
        int distPort = derivedPort(env, "WARREN_DIST_PORT", listener.port(), DIST_PORT_OFFSET);
        Long explicitLink = envValue(env, "WARREN_LINK_PORT", ValueType.port());
        int linkPort = explicitLink != null ? explicitLink.intValue()
                : distPort > 0 && distPort + LINK_PORT_OFFSET <= 65535 ? distPort + LINK_PORT_OFFSET : 0;
        Path base = home != null ? home : Path.of("").toAbsolutePath();
        Path dataDir = envPath(env, "WARREN_DATA_DIR", base.resolve("var/lib/warren").resolve(nodeName));
        Path logBase = envPath(env, "WARREN_LOG_BASE", base.resolve("var/log/warren"));
        Path cookie = cookiePath(env);
        Path runDir = runDir(env);

        Set<String> loopback = ConfigLoader.enabled(values.get("loopback_users"));
        @SuppressWarnings("unchecked")
        List<String> mechanisms = (List<String>) values.getOrDefault("auth_mechanisms", List.of("PLAIN", "AMQPLAIN"));
        BrokerSettings broker = new BrokerSettings(
                nodeName,
                dataDir,
                (String) values.get("default_vhost"),
                (String) values.get("default_user"),
                (String) values.get("default_pass"),
                ConfigLoader.enabled(values.get("default_user_tags")),
                loopback,
                intValue(values, "heartbeat"),
                intValue(values, "frame_max"),
                intValue(values, "channel_max"),
                (Long) values.get("max_message_size"),
                (Double) values.get("vm_memory_high_watermark.relative"),
                mechanisms,
                diskFreeLimit(values));

        String logFile = (String) values.get("log.file");
        Path logPath;
        if ("false".equalsIgnoreCase(logFile)) {
            logPath = null;
        } else if ("true".equalsIgnoreCase(logFile)) {
            logPath = logBase.resolve(nodeName + ".log");
        } else {
            logPath = logBase.resolve(logFile);
        }
        ServerSettings.LogSettings logging = new ServerSettings.LogSettings(
                (Boolean) values.get("log.console"), (String) values.get("log.console.level"),
                logPath, (String) values.get("log.file.level"));
        ServerSettings server = new ServerSettings(nodeName, listener, controlPort, distPort, linkPort,
                intValue(values, "management.tcp.port"), cookie, dataDir, logBase, runDir, logging, configFile,
                new ServerSettings.Permissions((String) values.get("default_permissions.configure"),
                        (String) values.get("default_permissions.write"),
                        (String) values.get("default_permissions.read")));
        return new WarrenConfig(broker, server, Map.copyOf(values));
    }

    /**
     * disk_free_limit: {@code .relative} (a multiple of total RAM, as RabbitMQ) wins when set,
     * else {@code .absolute} (default 50MB).
     */
    private static long diskFreeLimit(Map<String, Object> values) {
        Object relative = values.get("disk_free_limit.relative");
        if (relative instanceof Number r) {
            long ram = 0;
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                ram = os.getTotalMemorySize();
            }
            return (long) (r.doubleValue() * ram);
        }
        Object absolute = values.get("disk_free_limit.absolute");
        return absolute instanceof Number a ? a.longValue() : 50_000_000L;
    }

    /** {@code WARREN_NODENAME}, completed with the short host name; default {@code warren@<short hostname>}. */
    static String nodeName(Map<String, String> env) {
        String raw = env.get("WARREN_NODENAME");
        if (raw == null || raw.isBlank()) {
            return "warren@" + NodeNames.shortHostname();
        }
        String full = NodeNames.complete(raw.trim());
        if (full == null) {
            throw new ConfigError("environment variable WARREN_NODENAME: expected a node name such as warren@host1 "
                    + "or a bare name such as hare, got '" + raw + "'");
        }
        return full;
    }

    /** The cookie file: {@code WARREN_COOKIE_FILE} or {@code $HOME/.warren.cookie}. */
    static Path cookiePath(Map<String, String> env) {
        String file = env.get("WARREN_COOKIE_FILE");
        if (file != null && !file.isBlank()) {
            return Path.of(file).toAbsolutePath();
        }
        String userHome = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(userHome, ".warren.cookie");
    }

    /** The per-machine node registry directory: {@code WARREN_RUN_DIR} or {@code <tmpdir>/warren-nodes}. */
    static Path runDir(Map<String, String> env) {
        String dir = env.get("WARREN_RUN_DIR");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir).toAbsolutePath();
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "warren-nodes");
    }

    private static int derivedPort(Map<String, String> env, String variable, int amqpPort, int offset) {
        Long explicit = envValue(env, variable, ValueType.port());
        if (explicit != null) {
            return explicit.intValue();
        }
        if (amqpPort == 0) {
            return 0;
        }
        int port = amqpPort + offset;
        if (port > 65535) {
            throw new ConfigError("environment variable " + variable + " is unset and its default, the AMQP port "
                    + amqpPort + " + " + offset + " = " + port + ", is not a valid port; set " + variable);
        }
        return port;
    }

    private static Long envValue(Map<String, String> env, String variable, ValueType type) {
        String raw = env.get(variable);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return (Long) type.parse(raw.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigError("environment variable " + variable + ": expected " + type.expected()
                    + ", got '" + raw + "'");
        }
    }

    private static Path envPath(Map<String, String> env, String variable, Path fallback) {
        String raw = env.get(variable);
        return raw == null || raw.isBlank() ? fallback : Path.of(raw).toAbsolutePath();
    }

    private static int intValue(Map<String, Object> values, String key) {
        return ((Long) values.get(key)).intValue();
    }
}
