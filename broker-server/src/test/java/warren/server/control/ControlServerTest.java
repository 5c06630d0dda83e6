package warren.server.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import warren.server.control.ControlClient.ControlException;

class ControlServerTest {

    private static final String COOKIE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private ControlServer server;
    private int port;

    private final FakeBrokerAdmin admin = new FakeBrokerAdmin();

    @BeforeEach
    void start() throws Exception {
        DaemonActions actions = new DaemonActions() {
            @Override
            public Map<String, Object> nodeStatus() {
                return Map.of("node", "test@localhost");
            }

            @Override
            public void requestStop() {
            }
        };
        server = new ControlServer("test@localhost", COOKIE, new AdminCommands(() -> admin, actions));
        InetSocketAddress bound = server.start("127.0.0.1", 0);
        port = bound.getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void rightCookieIsAcceptedAndCommandsRun() throws Exception {
        try (ControlClient client = ControlClient.connect("127.0.0.1", port, COOKIE, 5000)) {
            assertEquals("test@localhost", client.remoteNode());
            assertEquals("pong", client.call("ping", Map.of()).asText());
            JsonNode users = client.call("list_users", Map.of());
            assertEquals("guest", users.get(0).get("user").asText());
        }
    }

    @Test
    void wrongCookieIsRefused() {
        ControlException e = assertThrows(ControlException.class,
                () -> ControlClient.connect("127.0.0.1", port, "WRONGCOOKIEWRONGCOOKIE", 5000));
        assertEquals(ControlClient.Failure.AUTH_FAILED, e.failure());
    }

    @Test
    void adminRefusalCarriesItsKind() throws Exception {
        try (ControlClient client = ControlClient.connect("127.0.0.1", port, COOKIE, 5000)) {
            ControlException e = assertThrows(ControlException.class,
                    () -> client.call("delete_vhost", Map.of("vhost", "nope")));
            assertEquals(ControlClient.Failure.REFUSED, e.failure());
            assertEquals("no_such_vhost", e.kind());
        }
    }

    @Test
    void unknownCommandIsRefused() throws Exception {
        try (ControlClient client = ControlClient.connect("127.0.0.1", port, COOKIE, 5000)) {
            ControlException e = assertThrows(ControlException.class, () -> client.call("frobnicate", Map.of()));
            assertEquals("unknown_command", e.kind());
        }
    }
}
