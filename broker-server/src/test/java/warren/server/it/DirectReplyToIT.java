package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Delivery;
import org.junit.jupiter.api.Test;

/** Direct reply-to: the pseudo-queue amq.rabbitmq.reply-to. */
class DirectReplyToIT extends AmqpIT {

    private static final String REPLY_TO = "amq.rabbitmq.reply-to";

    @Test
    void rpcRoundTripThroughDirectReplyTo() throws Exception {
        Channel server = channel();
        String rpcQueue = q("rpc");
        server.queueDeclare(rpcQueue, false, false, false, null);
        Recorder requests = new Recorder(server);
        server.basicConsume(rpcQueue, true, requests);

        Channel client = connect().createChannel();
        Recorder replies = new Recorder(client);
        client.basicConsume(REPLY_TO, true, replies);
        client.basicPublish("", rpcQueue,
                new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).correlationId("c-1").build(), bytes("2+2"));

        Delivery req = requests.next();
        String replyTo = req.getProperties().getReplyTo();
        assertTrue(replyTo.startsWith(REPLY_TO + "."), "broker rewrites reply-to to a routable name: " + replyTo);
        server.basicPublish("", replyTo,
                new AMQP.BasicProperties.Builder().correlationId(req.getProperties().getCorrelationId()).build(), bytes("4"));

        Delivery reply = replies.next();
        assertEquals("4", str(reply.getBody()));
        assertEquals("c-1", reply.getProperties().getCorrelationId());
        assertEquals("", reply.getEnvelope().getExchange());
        assertEquals(REPLY_TO, reply.getEnvelope().getRoutingKey().substring(0, REPLY_TO.length()));
    }

    @Test
    void consumingReplyToWithManualAckIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        assertChannelError(406, () -> ch.basicConsume(REPLY_TO, false, new Recorder(ch)));
        assertUsable(conn());
    }

    @Test
    void publishingWithReplyToWithoutReplyConsumerIsPreconditionFailed406() throws Exception {
        Channel ch = channel();
        String qn = ch.queueDeclare("", false, true, true, null).getQueue();
        ch.basicPublish("", qn, new AMQP.BasicProperties.Builder().replyTo(REPLY_TO).build(), bytes("x"));
        awaitChannelClosed(ch, 406);
        assertUsable(conn());
    }

    @Test
    void replyToUnknownDirectReplyAddressIsDroppedSilently() throws Exception {
        Channel ch = channel();
        ch.confirmSelect();
        ch.basicPublish("", REPLY_TO + ".g2dkAAAAbm9ib2R5", null, bytes("nobody-home"));
        ch.waitForConfirms(TIMEOUT.toMillis());
        assertTrue(ch.isOpen());
        assertUsable(conn());
    }
}
