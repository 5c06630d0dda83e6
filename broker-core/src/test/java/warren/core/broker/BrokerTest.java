package warren.core.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.security.AccessKind;

class BrokerTest {
    @TempDir
    Path tempDir;

    @Test
    void bootsTheDefaultVhostAndUser() {
        try (Broker broker = new Broker(BrokerSettings.defaults("warren@test", tempDir))) {
            assertNotNull(broker.vhost("/"));
            assertNull(broker.vhost("other"));
            assertNotNull(broker.authenticate("guest", "guest"));
            assertNull(broker.authenticate("guest", "wrong"));
            assertNull(broker.authenticate("nobody", "guest"));
            assertTrue(broker.hasAnyPermission("/", "guest"));
            assertTrue(broker.isLoopbackOnly("guest"));
        }
    }

    @Test
    void accessCheckRefusesWhatThePermissionDoesNotAllow() {
        try (Broker broker = new Broker(BrokerSettings.defaults("warren@test", tempDir))) {
            broker.checkAccess("/", "guest", AccessKind.CONFIGURE, "queue", "q");
            ChannelException e = assertThrows(ChannelException.class,
                    () -> broker.checkAccess("/", "nobody", AccessKind.READ, "exchange", ""));
            assertEquals(ReplyCode.ACCESS_REFUSED, e.replyCode());
            assertEquals("access to exchange 'amq.default' in vhost '/' refused for user 'nobody'", e.getMessage());
        }
    }
}
