package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A warrenctl connection to one node's control listener: connects, answers the cookie challenge,
 * then sends requests. {@link ControlException}s say which step failed so the CLI can explain.
 */
public final class ControlClient implements AutoCloseable {

    /** Why a call failed: could not connect, cookie refused, protocol broken, or refused by the node. */
    public enum Failure { UNREACHABLE, AUTH_FAILED, PROTOCOL, REFUSED }

    /** A failed control call; {@code kind} carries the node's error kind for {@link Failure#REFUSED}. */
    public static final class ControlException extends Exception {
        private final Failure failure;
        private final String kind;

        public ControlException(Failure failure, String kind, String message) {
            super(message);
            this.failure = failure;
            this.kind = kind;
        }

        public Failure failure() {
            return failure;
        }

        public String kind() {
            return kind;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final String remoteNode;

    private ControlClient(Socket socket, DataInputStream in, DataOutputStream out, String remoteNode) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.remoteNode = remoteNode;
    }

    /** Connects and authenticates; {@code timeoutMillis} bounds the connect and every read. */
    public static ControlClient connect(String host, int port, String cookie, int timeoutMillis)
            throws ControlException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
        } catch (IOException e) {
            closeQuietly(socket);
            throw new ControlException(Failure.UNREACHABLE, "econnrefused",
                    "TCP connection to " + host + ":" + port + " failed: " + e.getMessage());
        }
        try {
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            JsonNode hello = ControlProtocol.read(in);
            if (!ControlProtocol.PROTOCOL.equals(hello.path("protocol").asText())) {
                throw new ControlException(Failure.PROTOCOL, "protocol",
                        "the service at " + host + ":" + port + " is not a Warren control listener");
            }
            String challenge = hello.path("challenge").asText();
            ControlProtocol.write(out, Map.of("response", ControlProtocol.respond(cookie, challenge)));
            JsonNode verdict;
            try {
                verdict = ControlProtocol.read(in);
            } catch (EOFException e) {
                throw new ControlException(Failure.AUTH_FAILED, "auth_failed", "the node closed the connection");
            }
            if (!verdict.path("ok").asBoolean(false)) {
                throw new ControlException(Failure.AUTH_FAILED, verdict.path("error").asText("auth_failed"),
                        verdict.path("message").asText("cookie challenge failed"));
            }
            return new ControlClient(socket, in, out, hello.path("node").asText());
        } catch (IOException e) {
            closeQuietly(socket);
            throw new ControlException(Failure.PROTOCOL, "protocol",
                    "control handshake with " + host + ":" + port + " failed: " + e);
        } catch (ControlException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** The node name the server announced. */
    public String remoteNode() {
        return remoteNode;
    }

    /** Sends one request and returns its result. */
    public JsonNode call(String command, Map<String, ?> args) throws ControlException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("command", command);
        request.put("args", args);
        JsonNode reply;
        try {
            ControlProtocol.write(out, request);
            reply = ControlProtocol.read(in);
        } catch (IOException e) {
            throw new ControlException(Failure.UNREACHABLE, "connection_lost",
                    "lost the connection to node " + remoteNode + " during " + command + ": " + e);
        }
        if (!reply.path("ok").asBoolean(false)) {
            throw new ControlException(Failure.REFUSED, reply.path("error").asText("error"),
                    reply.path("message").asText(""));
        }
        return reply.get("result");
    }

    /** Changes the read timeout (await_startup and stop may take longer than other calls). */
    public void setTimeout(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (IOException e) {
            // the next call reports the broken socket
        }
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
