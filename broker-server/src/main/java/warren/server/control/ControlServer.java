package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.broker.AdminException;

/**
 * The warrenctl endpoint of a node: a plain TCP listener (not on the AMQP path, so blocking sockets
 * and a small thread pool) speaking {@link ControlProtocol}. Clients must prove they hold the node's
 * cookie; a wrong answer is refused, logged with the peer address, and the connection closed.
 */
public final class ControlServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final int AUTH_TIMEOUT_MS = 10_000;
    private static final int IDLE_TIMEOUT_MS = 120_000;

    private final String nodeName;
    private final String cookie;
    private final ControlHandler handler;
    private final ExecutorService workers;
    private ServerSocket socket;
    private Thread acceptor;
    private volatile boolean closed;

    public ControlServer(String nodeName, String cookie, ControlHandler handler) {
        this.nodeName = nodeName;
        this.cookie = cookie;
        this.handler = handler;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "warren-control-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds to {@code host:port} (port 0 picks a free port) and returns the bound address. */
    public InetSocketAddress start(String host, int port) throws IOException {
        socket = new ServerSocket();
        socket.setReuseAddress(true);
        try {
            socket.bind(new InetSocketAddress(host, port), 50);
        } catch (IOException e) {
            socket.close();
            throw new IOException("control listener for node " + nodeName + " could not bind " + host + ":" + port
                    + " (" + e.getMessage() + "); is another node using it? Set WARREN_CTL_PORT to a free port", e);
        }
        acceptor = new Thread(this::acceptLoop, "warren-control-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = socket.accept();
                workers.execute(() -> serve(client));
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control listener accept failed: {}", e.toString());
                }
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        String peer = String.valueOf(client.getRemoteSocketAddress());
        try (client) {
            client.setSoTimeout(AUTH_TIMEOUT_MS);
            DataInputStream in = new DataInputStream(new BufferedInputStream(client.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(client.getOutputStream()));
            if (!authenticate(in, out, peer)) {
                return;
            }
            client.setSoTimeout(IDLE_TIMEOUT_MS);
            while (!closed) {
                JsonNode request;
                try {
                    request = ControlProtocol.read(in);
                } catch (EOFException e) {
                    return;
                }
                ControlProtocol.write(out, execute(request));
            }
        } catch (SocketTimeoutException e) {
            LOG.debug("control connection from {} timed out", peer);
        } catch (SocketException e) {
            LOG.debug("control connection from {} closed: {}", peer, e.toString());
        } catch (IOException e) {
            LOG.warn("control connection from {} failed: {}", peer, e.toString());
        }
    }

    private boolean authenticate(DataInputStream in, DataOutputStream out, String peer) throws IOException {
        String challenge = ControlProtocol.newChallenge();
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("protocol", ControlProtocol.PROTOCOL);
        hello.put("node", nodeName);
        hello.put("challenge", challenge);
        ControlProtocol.write(out, hello);
        JsonNode answer;
        try {
            answer = ControlProtocol.read(in);
        } catch (EOFException e) {
            LOG.warn("warrenctl connection from {} refused: closed before answering the cookie challenge", peer);
            return false;
        }
        JsonNode response = answer.get("response");
        if (!ControlProtocol.verify(cookie, challenge, response == null ? null : response.asText())) {
            LOG.warn("warrenctl connection from {} refused: cookie challenge failed (the client's cookie does not "
                    + "match this node's)", peer);
            ControlProtocol.write(out, Map.of("ok", false, "error", "auth_failed",
                    "message", "cookie challenge failed: the cookie does not match node " + nodeName + "'s"));
            return false;
        }
        ControlProtocol.write(out, Map.of("ok", true, "node", nodeName));
        return true;
    }

    private Map<String, Object> execute(JsonNode request) {
        Map<String, Object> reply = new LinkedHashMap<>();
        JsonNode command = request.get("command");
        if (command == null || !command.isTextual()) {
            reply.put("ok", false);
            reply.put("error", "bad_request");
            reply.put("message", "request has no \"command\"");
            return reply;
        }
        JsonNode args = request.has("args") ? request.get("args") : NullNode.getInstance();
        try {
            Object result = handler.handle(command.asText(), args);
            reply.put("ok", true);
            reply.put("result", result);
        } catch (AdminException e) {
            reply.put("ok", false);
            reply.put("error", e.kind());
            reply.put("message", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("control command {} failed", command.asText(), e);
            reply.put("ok", false);
            reply.put("error", "internal_error");
            reply.put("message", String.valueOf(e));
        }
        return reply;
    }

    @Override
    public void close() {
        closed = true;
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.debug("closing control listener: {}", e.toString());
            }
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
