package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.net.InetAddress;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import warren.server.EmbeddedNode;

/**
 * Broker settings that need a dedicated Warren node (frame_max, heartbeat, channel_max, loopback_users).
 * Skipped against an external broker. Not testable here: refusing a loopback user from a non-loopback
 * address, because all test traffic must stay on 127.0.0.0/8.
 */
class EmbeddedConfigIT extends AmqpIT {

    @BeforeEach
    void onlyEmbedded() {
        assumeEmbedded("starts nodes with special configuration");
    }

    private ConnectionFactory factoryFor(EmbeddedNode node) {
        ConnectionFactory f = factory();
        f.setPort(node.amqpPort());
        return f;
    }

    @Test
    void configuredFrameMaxIsProposedAndEnforced() throws Exception {
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("frame_max", "8192"))) {
            try (RawAmqp raw = RawAmqp.open(node.amqpPort())) {
                assertEquals(8192, raw.serverTune.frameMax());
                raw.openChannel(1);
                raw.sendFrame(RawAmqp.FRAME_METHOD, 1, RawAmqp.basicPublish("", "nowhere"));
                raw.sendFrame(RawAmqp.FRAME_HEADER, 1, RawAmqp.contentHeader(9000));
                raw.sendFrame(RawAmqp.FRAME_BODY, 1, new byte[9000]);
                RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
                assertNotNull(close);
                assertEquals(501, close.replyCode(), close.replyText());
            }
            try (Connection c = factoryFor(node).newConnection()) {
                assertEquals(8192, c.getFrameMax());
                assertUsable(c);
            }
        }
    }

    @Test
    void configuredHeartbeatAndChannelMaxAreProposed() throws Exception {
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("heartbeat", "7", "channel_max", "16"))) {
            try (RawAmqp raw = RawAmqp.open(node.amqpPort())) {
                assertEquals(7, raw.serverTune.heartbeat());
                assertEquals(16, raw.serverTune.channelMax());
            }
            try (RawAmqp raw = RawAmqp.open(node.amqpPort())) {
                // As RabbitMQ: channel_max bounds how many channels are open, so the 17th is refused.
                for (int ch = 1; ch <= 16; ch++) {
                    raw.openChannel(ch);
                }
                raw.sendMethod(17, 20, 10, new RawAmqp.Args().shortstr("").build());
                RawAmqp.Close close = raw.awaitConnectionClose(TIMEOUT);
                assertNotNull(close);
                assertEquals(530, close.replyCode(), close.replyText());
            }
        }
    }

    @Test
    void loopbackUserIsAcceptedFromLoopbackAddresses() throws Exception {
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("loopback_users.guest", "true"))) {
            for (String addr : new String[] {"127.0.0.1", "127.0.0.5"}) {
                ConnectionFactory f = factoryFor(node);
                f.setSocketFactory(new ConnectionIT.BoundSocketFactory(InetAddress.getByName(addr)));
                try (Connection c = f.newConnection()) {
                    assertUsable(c);
                }
            }
        }
    }

    @Test
    void customLoopbackUserIsAcceptedFromLoopback() throws Exception {
        try (EmbeddedNode node = BrokerFixture.startEmbedded(Map.of("loopback_users.alice", "true"))) {
            node.broker().admin().addUser("alice", "pw", Set.of());
            node.broker().admin().setPermissions("/", "alice", ".*", ".*", ".*");
            ConnectionFactory f = factoryFor(node);
            f.setUsername("alice");
            f.setPassword("pw");
            f.setSocketFactory(new ConnectionIT.BoundSocketFactory(InetAddress.getByName("127.0.0.9")));
            try (Connection c = f.newConnection()) {
                assertUsable(c);
            }
        }
    }
}
