package warren.server.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import warren.server.Cookie;
import warren.server.NodeRegistry;
import warren.server.config.ConfigError;
import warren.server.config.ConfigLoader;
import warren.server.config.NodeNames;
import warren.server.control.ControlClient;
import warren.server.control.ControlClient.ControlException;

/**
 * Finds and connects to the node warrenctl talks to. A node on this machine is looked up in the
 * node registry ({@code WARREN_RUN_DIR}); a node on another host is contacted at its host name on
 * the default control port ({@code WARREN_CTL_PORT}, else 35672). Failures become rabbitmqctl's
 * "unable to perform an operation on node" report (exit 69).
 */
final class NodeLocator {

    static final int DEFAULT_CONTROL_PORT = 35672;

    private final Map<String, String> env;
    private final String node;
    private final Path cookieFile;
    private final NodeRegistry registry;

    NodeLocator(Map<String, String> env, String requestedNode) throws CtlException {
        this.env = env;
        String raw = requestedNode != null ? requestedNode : env.getOrDefault("WARREN_NODENAME", "warren");
        String full = NodeNames.complete(raw.trim());
        if (full == null) {
            throw new CtlException(ExitCodes.USAGE, "Error: '" + raw + "' is not a node name; use name@host or a "
                    + "bare name such as hare (meaning hare@" + NodeNames.shortHostname() + ")");
        }
        this.node = full;
        this.cookieFile = ConfigLoader.cookieFile(env);
        this.registry = new NodeRegistry(ConfigLoader.runDir(env));
    }

    String node() {
        return node;
    }

    /** Connects and authenticates, or throws the exit-69/70 report. */
    ControlClient connect(int timeoutMillis) throws CtlException {
        String cookie;
        try {
            cookie = Cookie.read(cookieFile);
        } catch (ConfigError e) {
            throw new CtlException(ExitCodes.SOFTWARE, "Error: " + e.getMessage());
        }
        String host = NodeNames.host(node);
        // a node in this machine's registry runs here, whatever host its name gives (a node whose name
        // names another host alias of this machine, or one of several hosts simulated on loopback)
        Optional<NodeRegistry.Entry> entry = registry.lookup(node);
        boolean local = isLocal(host) || entry.isPresent();
        String connectHost;
        int port;
        if (local) {
            if (entry.isEmpty()) {
                throw unreachable(List.of(
                        "node registry (" + registry.dir() + ") reports: node '" + prefix(node) + "' not running at all",
                        otherNodes(host),
                        "suggestion: start the node"));
            }
            connectHost = entry.get().controlConnectHost();
            port = entry.get().controlPort();
        } else {
            connectHost = host;
            port = defaultControlPort();
        }
        try {
            return ControlClient.connect(connectHost, port, cookie, timeoutMillis);
        } catch (ControlException e) {
            switch (e.failure()) {
                case AUTH_FAILED:
                    throw unreachable(List.of(
                            "TCP connection to " + connectHost + ":" + port + " succeeded but the cookie challenge failed",
                            "suggestion: check that the cookie file (" + cookieFile + ") is identical for all server "
                                    + "nodes and CLI tools"));
                case PROTOCOL:
                    throw unreachable(List.of(e.getMessage(),
                            "suggestion: check WARREN_CTL_PORT; another service answers on that port"));
                default:
                    throw unreachable(List.of(e.getMessage(),
                            "suggestion: check that the node is running and that port " + port + " is reachable"));
            }
        }
    }

    /** True while the cookie file does not exist yet (a node creates it at its first start). */
    boolean cookieMissing() {
        return !java.nio.file.Files.exists(cookieFile);
    }

    /** True if the node runs on this machine (found through the node registry). */
    boolean isLocal() {
        return isLocal(NodeNames.host(node));
    }

    /** True if the node is not known on this machine (or its process has gone). */
    boolean isGoneLocally() {
        return isLocal(NodeNames.host(node)) && registry.lookup(node).isEmpty();
    }

    CtlException unreachable(List<String> facts) {
        StringBuilder b = new StringBuilder();
        b.append("Error: unable to perform an operation on node '").append(node)
                .append("'. Please see diagnostics information and suggestions below.\n\n")
                .append("Most common reasons for this are:\n\n")
                .append(" * Target node is unreachable (e.g. due to hostname resolution, TCP connection or firewall issues)\n")
                .append(" * CLI tool fails to authenticate with the server (e.g. due to CLI tool's cookie not matching ")
                .append("that of the server)\n")
                .append(" * Target node is not running\n\n")
                .append("In addition to the diagnostics info below:\n\n")
                .append(" * See docs/warrenctl.md and docs/install.md to learn more\n")
                .append(" * Consult server logs on node ").append(node).append("\n\n")
                .append("DIAGNOSTICS\n===========\n\n")
                .append("attempted to contact: [").append(node).append("]\n\n")
                .append(node).append(":\n");
        for (String fact : facts) {
            if (!fact.isEmpty()) {
                b.append("  * ").append(fact).append('\n');
            }
        }
        b.append("\nCurrent node details:\n")
                .append(" * effective user's home directory: ")
                .append(env.getOrDefault("HOME", System.getProperty("user.home"))).append('\n')
                .append(" * cookie file: ").append(cookieFile);
        return new CtlException(ExitCodes.UNAVAILABLE, b.toString());
    }

    private String otherNodes(String host) {
        List<String> others = registry.list().stream().map(NodeRegistry.Entry::name)
                .filter(n -> !n.equals(node)).map(NodeLocator::prefix).sorted().collect(Collectors.toList());
        return others.isEmpty() ? "no other nodes on " + host : "other nodes on " + host + ": " + others;
    }

    private int defaultControlPort() throws CtlException {
        String raw = env.get("WARREN_CTL_PORT");
        if (raw == null || raw.isBlank()) {
            return DEFAULT_CONTROL_PORT;
        }
        try {
            int port = Integer.parseInt(raw.trim());
            if (port > 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CtlException(ExitCodes.USAGE, "Error: environment variable WARREN_CTL_PORT: expected a TCP port "
                + "1-65535, got '" + raw + "'");
    }

    private static boolean isLocal(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals(NodeNames.shortHostname()) || h.equals("localhost");
    }

    private static String prefix(String fullName) {
        return fullName.substring(0, fullName.indexOf('@'));
    }
}
