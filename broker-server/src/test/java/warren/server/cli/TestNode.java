package warren.server.cli;

import java.nio.file.Path;
import java.util.Map;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.server.Cookie;
import warren.server.EmbeddedNode;
import warren.server.NodeRegistry;
import warren.server.control.AdminCommands;
import warren.server.control.ControlServer;
import warren.server.control.DaemonActions;

/**
 * A node for warrenctl tests, registered in a test-private registry with a test-private cookie.
 * It is an {@link EmbeddedNode}; while the AMQP listener (warren.server.netty.AmqpServer) is not
 * implemented yet and throws on start, it falls back to a real {@link Broker} behind a control
 * listener, which is all warrenctl talks to. Remove the fallback once AmqpServer lands.
 */
final class TestNode implements AutoCloseable {

    final Map<String, String> env;
    final String nodeName;
    private final AutoCloseable closer;
    private volatile boolean stopRequested;

    TestNode(Path dir, String bareName) throws Exception {
        env = Map.of(
                "WARREN_RUN_DIR", dir.resolve("run").toString(),
                "WARREN_COOKIE_FILE", dir.resolve("cookie").toString(),
                "WARREN_NODENAME", bareName,
                "HOME", dir.toString());
        AutoCloseable c;
        String name;
        try {
            EmbeddedNode node = EmbeddedNode.start(Map.of(), env);
            c = node;
            name = node.nodeName();
        } catch (UnsupportedOperationException amqpNotImplemented) {
            name = warren.server.config.NodeNames.complete(bareName);
            c = startControlOnly(dir, name);
        }
        closer = c;
        nodeName = name;
    }

    private AutoCloseable startControlOnly(Path dir, String name) throws Exception {
        Broker broker = new Broker(BrokerSettings.defaults(name, dir.resolve("data")));
        String cookie = Cookie.loadOrCreate(dir.resolve("cookie"));
        DaemonActions actions = new DaemonActions() {
            @Override
            public Map<String, Object> nodeStatus() {
                return Map.of("node", name);
            }

            @Override
            public void requestStop() {
                stopRequested = true;
            }
        };
        ControlServer control = new ControlServer(name, cookie, new AdminCommands(broker::admin, actions));
        int port = control.start("127.0.0.1", 0).getPort();
        NodeRegistry registry = new NodeRegistry(dir.resolve("run"));
        long pid = ProcessHandle.current().pid();
        registry.register(new NodeRegistry.Entry(name, pid, 0, port));
        return () -> {
            registry.unregister(name, pid);
            control.close();
            broker.close();
        };
    }

    boolean stopRequested() {
        return stopRequested;
    }

    @Override
    public void close() throws Exception {
        closer.close();
    }
}
