package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.cli.WarrenCtl;
import warren.server.process.NodeProcess;

/**
 * Issue #10 item 3, against a real node process run with a lowered file-descriptor limit
 * ({@code prlimit --nofile=1024:1024}) and {@code handshake_timeout = 1000}: connections that stall
 * in the handshake (TCP only, header only, stopped after start-ok) are closed after the timeout, and a
 * flood of such sockets that would use up the descriptors leaves warrenctl working (the reserve), a
 * well-behaved client served once the stalls time out, and a bounded number of refusal lines in the log.
 */
class HandshakeAbuseIT {
    private static final int FD_LIMIT = 1024;
    private static final int FLOOD = 1500;

    @TempDir
    static Path dir;
    private static NodeProcess node;

    @BeforeAll
    static void start() throws Exception {
        node = new NodeProcess(dir.resolve("node"), "-Xmx256m")
                .launcher("prlimit", "--nofile=" + FD_LIMIT + ":" + FD_LIMIT, "--")
                .config("handshake_timeout = 1000\n");
        node.start();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void handshakeStallsAreClosedAfterHandshakeTimeoutWhileWarrenctlAndClientsWork() throws Exception {
        List<Socket> stalls = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                stalls.add(socket()); // TCP only
            }
            for (int i = 0; i < 100; i++) {
                Socket s = socket();
                s.getOutputStream().write(RawAmqp.AMQP_0_9_1); // header only
                stalls.add(s);
            }
            for (int i = 0; i < 20; i++) {
                RawAmqp r = RawAmqp.connect(node.amqpPort()); // stopped after start-ok
                r.writeRaw(RawAmqp.AMQP_0_9_1);
                assertTrue(r.readFrame().isMethod(10, 10), "connection.start");
                r.sendMethod(0, 10, 11, new RawAmqp.Args().table(new byte[0]).shortstr("PLAIN")
                        .longstr(RawAmqp.bytes("\0guest\0guest")).shortstr("en_US").build());
                assertTrue(r.readFrame().isMethod(10, 30), "connection.tune");
                stalls.add(r.socket());
            }
            long opened = System.nanoTime();

            // While they stall: warrenctl and a well-behaved client are served.
            assertEquals(0, ctl("status"), "warrenctl status while 220 handshakes stall");
            roundTrip(node.factory());

            for (Socket s : stalls) {
                assertTrue(closedByServer(s, opened + 6_000_000_000L), "a stalled handshake is closed after "
                        + "handshake_timeout (1 s), well within 6 s");
            }
            assertTrue((System.nanoTime() - opened) / 1_000_000 >= 900, "not closed before the timeout");
            String log = node.allLogs();
            assertTrue(count(log, "{handshake_timeout,handshake}") >= 100, "TCP-only stalls logged as RabbitMQ does");
            assertTrue(count(log, "{handshake_timeout,frame_header}") >= 120, "header/start-ok stalls logged");
            assertEquals(0, ctl("status"), "warrenctl status afterwards");
            roundTrip(node.factory());
        } finally {
            for (Socket s : stalls) {
                s.close();
            }
        }
    }

    @Test
    void descriptorFloodLeavesTheReserveForWarrenctlAndClientsAreServedOnceStallsTimeOut() throws Exception {
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < FLOOD; i++) {
                try {
                    flood.add(socket());
                } catch (IOException e) {
                    // the listen backlog is full: the kernel drops further SYNs; that is the point
                }
            }
            // The node is at its reserve now: warrenctl (the control listener) still gets a descriptor.
            assertEquals(0, ctl("status"), "warrenctl status while AMQP sockets use up the descriptors");
            long deadline = System.nanoTime() + 5_000_000_000L;
            String log = node.allLogs();
            while (!log.contains("file descriptors nearly exhausted") && System.nanoTime() < deadline) {
                Thread.sleep(50);
                log = node.allLogs();
            }
            assertTrue(log.contains("file descriptors nearly exhausted"), "the flood reached the reserve:\n"
                    + tail(log));

            // A real client: its connect may wait in the backlog until stalls time out, then it is served.
            ConnectionFactory f = node.factory();
            f.setConnectionTimeout(20_000);
            f.setHandshakeTimeout(20_000);
            roundTrip(f);
            assertEquals(0, ctl("status"));

            log = node.allLogs();
            log.lines().filter(l -> l.contains("AcceptGate")).forEach(System.out::println); // the record, in the report
            assertTrue(count(log, "AMQP connection(s) in the last") <= 4, "refusals are logged once per 10 s, "
                    + "not once per socket:\n" + tail(log));
            assertTrue(count(log, "Too many open files") <= 4, "no accept-error flood:\n" + tail(log));
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Socket socket() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", node.amqpPort()), 2000);
        return s;
    }

    private static void roundTrip(ConnectionFactory f) throws Exception {
        try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
            String q = ch.queueDeclare().getQueue();
            ch.basicPublish("", q, null, "ping".getBytes(StandardCharsets.UTF_8));
            GetResponse r = null;
            for (int i = 0; i < 100 && r == null; i++) {
                r = ch.basicGet(q, true);
                if (r == null) {
                    Thread.sleep(20);
                }
            }
            assertNotNull(r, "the message came back");
            assertArrayEquals("ping".getBytes(StandardCharsets.UTF_8), r.getBody());
        }
    }

    /** Reads until EOF or reset (the server closed the socket) or the deadline; true if closed. */
    private static boolean closedByServer(Socket s, long deadlineNanos) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (System.nanoTime() < deadlineNanos) {
            s.setSoTimeout(200);
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                return true; // connection reset
            }
        }
        return false;
    }

    private static int ctl(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = node.nodeName();
        System.arraycopy(args, 0, all, 2, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = WarrenCtl.run(all, node.ctlEnv(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        if (code != 0) {
            System.err.println("warrenctl " + String.join(" ", args) + " -> " + code + ": " + err);
        }
        return code;
    }

    private static int count(String log, String needle) {
        int n = 0;
        for (int i = log.indexOf(needle); i >= 0; i = log.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 4000));
    }
}
