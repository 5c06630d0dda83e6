package warren.server.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import warren.core.broker.BrokerAdmin;
import warren.server.EmbeddedNode;

/**
 * Gives a test class a broker.
 *
 * <ul>
 *   <li>If system property {@code warren.it.port} (or env {@code WARREN_IT_PORT}) is set, the tests use the
 *       broker already listening on 127.0.0.1:port (e.g. the RabbitMQ reference node on 5700). Its admin
 *       operations go through {@code rabbitmqctl -n NODE} where NODE is {@code warren.it.rabbitmq.node}
 *       (env {@code WARREN_IT_RABBITMQ_NODE}), default {@code bench@localhost}.</li>
 *   <li>Otherwise an in-process Warren node is started with {@link EmbeddedNode#start(Map)} for the class
 *       and closed after it.</li>
 * </ul>
 *
 * <p>Use {@link #defaults()} for the ordinary configuration, or {@link #embeddedOnly(Map)} for a class that
 * needs special broker settings: such a class is skipped (assumption failure) against an external broker.
 *
 * <p>Register as {@code @RegisterExtension static final BrokerFixture broker = BrokerFixture.defaults();}.
 */
public final class BrokerFixture implements BeforeAllCallback, AfterAllCallback {

    /** Listener on loopback with an ephemeral port, so parallel builds never collide. */
    private static final Map<String, String> BASE_OVERRIDES = Map.of("listeners.tcp.default", "127.0.0.1:0");

    private final Map<String, String> overrides;
    private final boolean embeddedOnly;
    private EmbeddedNode node;
    private int port = -1;
    private Admin admin;

    private BrokerFixture(Map<String, String> overrides, boolean embeddedOnly) {
        this.overrides = overrides;
        this.embeddedOnly = embeddedOnly;
    }

    public static BrokerFixture defaults() {
        return new BrokerFixture(Map.of(), false);
    }

    /** A Warren node with these rabbitmq.conf-style overrides; skipped when running against an external broker. */
    public static BrokerFixture embeddedOnly(Map<String, String> overrides) {
        return new BrokerFixture(overrides, true);
    }

    /** The port of the external broker, or null when the tests must start Warren themselves. */
    public static Integer externalPort() {
        String p = System.getProperty("warren.it.port");
        if (p == null || p.isBlank()) {
            p = System.getenv("WARREN_IT_PORT");
        }
        return p == null || p.isBlank() ? null : Integer.valueOf(p.trim());
    }

    public static boolean isExternal() {
        return externalPort() != null;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Integer external = externalPort();
        if (external != null) {
            Assumptions.assumeFalse(embeddedOnly,
                    "needs an embedded Warren node with special settings " + overrides + "; skipped against an external broker");
            port = external;
            admin = new RabbitmqctlAdmin(rabbitNode());
            return;
        }
        node = startEmbedded(overrides);
        port = node.amqpPort();
        admin = new WarrenAdmin(node.broker().admin());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (node != null) {
            node.close();
            node = null;
        }
    }

    /** Starts an extra embedded node (caller closes it). Not available against an external broker. */
    public static EmbeddedNode startEmbedded(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(BASE_OVERRIDES);
        all.putAll(overrides);
        return EmbeddedNode.start(all);
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** The embedded node, or null against an external broker. */
    public EmbeddedNode node() {
        return node;
    }

    public Admin admin() {
        return admin;
    }

    static String rabbitNode() {
        String n = System.getProperty("warren.it.rabbitmq.node");
        if (n == null || n.isBlank()) {
            n = System.getenv("WARREN_IT_RABBITMQ_NODE");
        }
        return n == null || n.isBlank() ? "bench@localhost" : n;
    }

    /** The user/vhost/permission operations tests need, for both targets. */
    public interface Admin {
        void addUser(String name, String password);

        void deleteUser(String name);

        void addVhost(String name);

        void deleteVhost(String name);

        void setPermissions(String vhost, String user, String configure, String write, String read);

        /**
         * Changes the memory high watermark at runtime (rabbitmqctl set_vm_memory_high_watermark). For Warren
         * this needs {@code BrokerAdmin.setVmMemoryHighWatermark(double)}; throws UnsupportedOperationException
         * while that hook does not exist.
         */
        void setVmMemoryHighWatermark(double relative);
    }

    static final class WarrenAdmin implements Admin {
        private final BrokerAdmin admin;

        WarrenAdmin(BrokerAdmin admin) {
            this.admin = admin;
        }

        @Override
        public void addUser(String name, String password) {
            admin.addUser(name, password, Set.of());
        }

        @Override
        public void deleteUser(String name) {
            admin.deleteUser(name);
        }

        @Override
        public void addVhost(String name) {
            admin.addVhost(name);
        }

        @Override
        public void deleteVhost(String name) {
            admin.deleteVhost(name);
        }

        @Override
        public void setPermissions(String vhost, String user, String configure, String write, String read) {
            admin.setPermissions(vhost, user, configure, write, read);
        }

        @Override
        public void setVmMemoryHighWatermark(double relative) {
            admin.setVmMemoryHighWatermark(relative);
        }
    }

    /** Drives the reference RabbitMQ node through rabbitmqctl (argument vectors, no shell). */
    static final class RabbitmqctlAdmin implements Admin {
        private final String nodeName;

        RabbitmqctlAdmin(String nodeName) {
            this.nodeName = nodeName;
        }

        private void ctl(String... args) {
            List<String> cmd = new ArrayList<>(List.of("rabbitmqctl", "-q", "-n", nodeName));
            cmd.addAll(List.of(args));
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out: " + cmd);
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(cmd + " exited " + p.exitValue() + ": " + out);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + cmd, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void addUser(String name, String password) {
            ctl("add_user", name, password);
        }

        @Override
        public void deleteUser(String name) {
            ctl("delete_user", name);
        }

        @Override
        public void addVhost(String name) {
            ctl("add_vhost", name);
        }

        @Override
        public void deleteVhost(String name) {
            ctl("delete_vhost", name);
        }

        @Override
        public void setPermissions(String vhost, String user, String configure, String write, String read) {
            ctl("set_permissions", "-p", vhost, user, configure, write, read);
        }

        @Override
        public void setVmMemoryHighWatermark(double relative) {
            ctl("set_vm_memory_high_watermark", java.math.BigDecimal.valueOf(relative).toPlainString());
        }
    }
}
