package warren.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.NodeRegistry;
import warren.server.config.NodeNames;

/**
 * Starts a real node process with {@code bin/warren-server -detached} (WARREN_NODENAME=hare, free
 * ports, private cookie/registry/log dirs), finds it with {@code bin/warrenctl -n hare status} and
 * stops it with {@code warrenctl -n hare stop}. Every process started is killed by PID afterwards.
 * Needs the AMQP listener (warren.server.netty.AmqpServer); run with
 * {@code mvn -B test -pl broker-server -am -Dtest=WarrenServerScriptIT -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class WarrenServerScriptIT {

    @TempDir
    Path dir;

    private final List<Long> pids = new ArrayList<>();

    @AfterEach
    void killEverythingStarted() {
        NodeRegistry registry = new NodeRegistry(dir.resolve("run"));
        registry.lookup("hare@" + NodeNames.shortHostname()).ifPresent(e -> pids.add(e.pid()));
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
            });
        }
    }

    private static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("bin/warren-server"))) {
            p = p.getParent();
        }
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private record Result(int code, String output) {
    }

    private Result run(String... command) throws Exception {
        int amqp = ports[0];
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("WARREN_NODENAME", "hare");
        env.put("WARREN_NODE_PORT", String.valueOf(amqp));
        env.put("WARREN_CTL_PORT", String.valueOf(ports[1]));
        env.put("WARREN_DIST_PORT", String.valueOf(ports[2]));
        env.put("WARREN_RUN_DIR", dir.resolve("run").toString());
        env.put("WARREN_COOKIE_FILE", dir.resolve("cookie").toString());
        env.put("WARREN_DATA_DIR", dir.resolve("data").toString());
        env.put("WARREN_LOG_BASE", dir.resolve("log").toString());
        env.put("WARREN_CONFIG_FILE", dir.resolve("warren.conf").toString());
        Process p = pb.start();
        pids.add(p.pid());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private int[] ports;

    @Test
    void detachedNodeIsFoundByNameAndStopped() throws Exception {
        ports = new int[] {freePort(), freePort(), freePort()};
        Files.writeString(dir.resolve("warren.conf"), "listeners.tcp.default = 127.0.0.1:" + ports[0] + "\n"
                + "control.tcp.ip = 127.0.0.1\n");
        Path repo = repo();

        Result start = run(repo.resolve("bin/warren-server").toString(), "-detached");
        assertEquals(0, start.code(), start.output());

        Optional<NodeRegistry.Entry> entry = new NodeRegistry(dir.resolve("run")).lookup("hare@" + NodeNames.shortHostname());
        assertTrue(entry.isPresent(), "node registered");
        pids.add(entry.get().pid());

        // -detached returned: the node serves AMQP now (issue #10 item 5), not just its control listener;
        // the first client is pika, as in the report of a first-run AMQPConnectionError
        Result pika = run("/usr/bin/python3", "-c", "import pika; pika.BlockingConnection(pika.ConnectionParameters("
                + "host='127.0.0.1', port=" + ports[0] + ", connection_attempts=1)).close(); print('pika connected')");
        assertEquals(0, pika.code(), pika.output());
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(ports[0]);
        f.setAutomaticRecoveryEnabled(false);
        try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
            ch.queueDeclare("after-detached", false, false, true, null);
        }
        Result cluster = run(repo.resolve("bin/warrenctl").toString(), "-n", "hare", "cluster_status");
        assertEquals(0, cluster.code(), cluster.output());

        // control.tcp.ip binds the warrenctl listener to that interface only (warrenctl finds it in the registry)
        assertEquals("127.0.0.1", entry.get().controlHost(), "control listener interface");

        // a detached node writes each log line once: to its log file, not again to the stdout file
        Path log = dir.resolve("log").resolve("hare@" + NodeNames.shortHostname() + ".log");
        Path stdout = dir.resolve("log").resolve("hare@" + NodeNames.shortHostname() + ".stdout.log");
        String logText = Files.readString(log, StandardCharsets.UTF_8);
        String stdoutText = Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8) : "";
        assertTrue(logText.contains("Server startup complete"), logText);
        assertTrue(!stdoutText.contains("Server startup complete"), "log lines copied into " + stdout + ":\n" + stdoutText);

        Result status = run(repo.resolve("bin/warrenctl").toString(), "-n", "hare", "status");
        assertEquals(0, status.code(), status.output());
        assertTrue(status.output().contains("Status of node hare@"), status.output());

        Result stop = run(repo.resolve("bin/warrenctl").toString(), "-n", "hare", "stop");
        assertEquals(0, stop.code(), stop.output());
        ProcessHandle.of(entry.get().pid()).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
        assertTrue(ProcessHandle.of(entry.get().pid()).map(p -> !p.isAlive()).orElse(true), "node process exited");

        Result after = run(repo.resolve("bin/warrenctl").toString(), "-n", "hare", "status");
        assertEquals(69, after.code(), after.output());
    }
}
