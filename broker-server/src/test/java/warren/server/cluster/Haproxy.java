package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import warren.server.process.NodeProcess;

/**
 * A private haproxy process in front of node processes: a generated config (mode tcp, roundrobin,
 * health checks every 500 ms, 3 h client/server timeouts for AMQP heartbeats) run in the foreground
 * ({@code haproxy -f cfg -db}) on a free loopback port, with a stats socket to read each server's
 * state, stopped by PID in {@link #close()}. Not started as a system service.
 */
final class Haproxy implements AutoCloseable {
    private final Path dir;
    private final int port;
    private Process process;

    private Haproxy(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** The haproxy executable, or a test failure saying how to install it (CI's .ci/run installs it). */
    static Path executable() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/sbin"));
        for (String d : dirs) {
            Path p = Path.of(d.isEmpty() ? "." : d, "haproxy");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("haproxy is not installed: this test needs it (CI installs it in .ci/run); "
                + "install it with `apt-get install -y haproxy` (Debian/Ubuntu) and run again");
    }

    /** The config: one tcp listener on {@code port}, roundrobin over {@code servers} (name to AMQP port). */
    static String config(int port, Map<String, Integer> servers, Path statsSocket) {
        StringBuilder sb = new StringBuilder();
        sb.append("global\n")
                .append("    maxconn 1024\n")
                .append("    stats socket ").append(statsSocket).append(" mode 600 level admin\n")
                .append("defaults\n")
                .append("    mode tcp\n")
                .append("    timeout connect 2s\n")
                .append("    timeout client 3h\n")
                .append("    timeout server 3h\n")
                .append("    timeout check 1s\n")
                .append("    retries 3\n")
                .append("    option redispatch\n")
                .append("listen amqp\n")
                .append("    bind 127.0.0.1:").append(port).append('\n')
                .append("    balance roundrobin\n");
        servers.forEach((name, p) -> sb.append("    server ").append(name).append(" 127.0.0.1:").append(p)
                .append(" check inter 500 fall 2 rise 2\n"));
        return sb.toString();
    }

    /** Starts haproxy in front of {@code servers} (name to AMQP port) and waits (bounded) until it accepts. */
    static Haproxy start(Path dir, Map<String, Integer> servers) throws IOException, InterruptedException {
        Path exe = executable();
        Files.createDirectories(dir);
        Haproxy h = new Haproxy(dir, NodeProcess.freePort());
        Files.writeString(h.cfg(), config(h.port, servers, h.statsSocket()));
        h.process = new ProcessBuilder(exe.toString(), "-f", h.cfg().toString(), "-db")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(h.logFile().toFile()).start();
        try {
            ClusterCtl.await("haproxy stats socket answers", 20_000, () -> {
                if (!h.process.isAlive()) {
                    throw new AssertionError("haproxy exited with " + h.process.exitValue() + ":\n" + h.log());
                }
                try {
                    return !h.serverStates().isEmpty();
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError | InterruptedException e) {
            h.close();
            throw e;
        }
        return h;
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    Path cfg() {
        return dir.resolve("haproxy.cfg");
    }

    Path logFile() {
        return dir.resolve("haproxy.log");
    }

    private Path statsSocket() {
        return dir.resolve("haproxy.sock");
    }

    String log() {
        return NodeProcess.tail(logFile(), 40);
    }

    /** {@code show stat} over the stats socket: each server of the amqp backend to its status (UP, DOWN, ...). */
    Map<String, String> serverStates() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        String[] header = null;
        for (String line : command("show stat").split("\n")) {
            if (line.startsWith("# ")) {
                header = line.substring(2).split(",", -1);
                continue;
            }
            String[] f = line.split(",", -1);
            if (header == null || f.length < header.length || !"amqp".equals(f[0])
                    || f[1].equals("FRONTEND") || f[1].equals("BACKEND")) {
                continue;
            }
            for (int i = 0; i < header.length; i++) {
                if (header[i].equals("status")) {
                    out.put(f[1], f[i]);
                }
            }
        }
        return out;
    }

    private String command(String cmd) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(statsSocket()));
            ch.write(ByteBuffer.wrap((cmd + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            StringBuilder sb = new StringBuilder();
            while (ch.read(buf) >= 0) {
                buf.flip();
                sb.append(StandardCharsets.US_ASCII.decode(buf));
                buf.clear();
            }
            return sb.toString();
        }
    }

    /** Stops haproxy by PID (SIGTERM, then SIGKILL after 10 s); never throws. */
    @Override
    public void close() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
