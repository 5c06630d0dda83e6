package warren.server;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.slf4j.LoggerFactory;
import warren.cluster.membership.InconsistentClusterException;
import warren.server.config.ConfigError;
import warren.server.config.ConfigLoader;
import warren.server.config.ServerSettings;
import warren.server.config.WarrenConfig;
import warren.server.cli.ExitCodes;
import warren.server.cli.WarrenCtl;

/**
 * The node's entry point (bin/warren-server runs it in the foreground or, with -detached, under
 * nohup). Loads the configuration, sets up logging, starts a {@link BrokerDaemon} and waits for it
 * to stop (warrenctl stop, SIGTERM). The only class that calls {@code System.exit}: 0 after a clean
 * stop, 1 when the configuration is bad or the node fails to start, 69 when its cluster disagrees that
 * it is a member (inconsistent_cluster), 64 for bad arguments.
 * {@code BrokerMain warrenctl ARGS} runs {@link WarrenCtl} and exits with its code (bin/warrenctl).
 *
 * <p>The installation directory comes from the {@code warren.home} system property (set by the
 * scripts), else the working directory.
 */
public final class BrokerMain {

    private BrokerMain() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("warrenctl")) {
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            System.exit(WarrenCtl.run(rest, System.getenv(), System.out, System.err));
        }
        System.exit(run(args, System.getenv(), System.err));
    }

    static int run(String[] args, Map<String, String> env, PrintStream err) {
        for (String arg : args) {
            if (arg.equals("-h") || arg.equals("--help")) {
                err.println("usage: warren-server [-detached]   (configure with config/warren.conf and WARREN_* "
                        + "variables; see docs/configuration.md)");
                return 0;
            }
            err.println("Error: unknown argument '" + arg + "' (-detached is handled by bin/warren-server)");
            return 64;
        }
        Path home = Path.of(System.getProperty("warren.home", "")).toAbsolutePath();
        WarrenConfig config;
        try {
            config = ConfigLoader.load(env, home, Map.of());
        } catch (ConfigError e) {
            LogSetup.configure(fallbackLogging(env, home));
            return fail(err, "configuration is invalid: " + e.getMessage(), e);
        }
        LogSetup.configure(config.server().logging(), Boolean.getBoolean("warren.detached"));
        BrokerDaemon daemon = new BrokerDaemon(config);
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop, "warren-shutdown"));
        try {
            daemon.start();
        } catch (ConfigError e) {
            return fail(err, e.getMessage(), e);
        } catch (warren.core.store.StoreException e) {
            return fail(err, "node " + config.server().nodeName() + " cannot use its data: " + e.getMessage(), e);
        } catch (InconsistentClusterException e) {
            fail(err, e.getMessage(), e);
            return ExitCodes.UNAVAILABLE;
        } catch (RuntimeException e) {
            return fail(err, "node " + config.server().nodeName() + " failed to start: " + e, e);
        }
        try {
            daemon.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            daemon.stop();
        }
        return 0;
    }

    private static int fail(PrintStream err, String message, Exception e) {
        err.println("Error: " + message);
        LoggerFactory.getLogger(BrokerMain.class).error("{}", message, e instanceof ConfigError ? null : e);
        return 1;
    }

    /** Where to log a configuration error: the defaults for the node named by the environment. */
    private static ServerSettings.LogSettings fallbackLogging(Map<String, String> env, Path home) {
        return new ServerSettings.LogSettings(true, "info", ConfigLoader.defaultLogFile(env, home), "info");
    }
}
