package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * configure/write/read permission regexes (user on its own vhost). Users and vhosts are created through
 * {@link BrokerFixture#admin()}: rabbitmqctl for RabbitMQ, BrokerAdmin for Warren.
 */
class PermissionsIT extends AmqpIT {

    private String vhost;
    private String user;
    private Connection limited;
    private Connection admin;

    @BeforeEach
    void setUpLimitedUser() throws Exception {
        vhost = vhost("perm");
        user = user("limited", "s3cret");
        broker.admin().setPermissions(vhost, user, "^ok-.*", "^(ok-|w-).*", "^(ok-|r-).*");
        broker.admin().setPermissions(vhost, "guest", ".*", ".*", ".*");
        ConnectionFactory f = factory();
        f.setVirtualHost(vhost);
        f.setUsername(user);
        f.setPassword("s3cret");
        limited = track(f.newConnection());
        ConnectionFactory g = factory();
        g.setVirtualHost(vhost);
        admin = track(g.newConnection());
        Channel a = admin.createChannel();
        for (String n : new String[] {"ok-q", "w-q", "r-q", "no-q"}) {
            a.queueDeclare(n, false, false, false, null);
        }
        for (String n : new String[] {"ok-x", "w-x", "r-x", "no-x"}) {
            a.exchangeDeclare(n, "fanout");
        }
        a.close();
    }

    /** assertUsable() needs amq.gen-* configure rights; this uses only what the limited user may do. */
    private void limitedUserStillWorks() throws Exception {
        Channel ch = limited.createChannel();
        ch.queueDeclarePassive("ok-q");
        ch.queueBind("ok-q", "ok-x", "");
        publishConfirmed(ch, "ok-x", "", null, "alive");
        assertEquals("alive", body(ch.basicGet("ok-q", true)));
    }

    @Test
    void allowedOperationsSucceed() throws Exception {
        Channel ch = limited.createChannel();
        ch.queueDeclare("ok-new", false, false, false, null);
        ch.exchangeDeclare("ok-newx", "direct");
        ch.queueBind("ok-q", "ok-x", "");
        publishConfirmed(ch, "ok-x", "", null, "m");
        assertEquals("m", body(ch.basicGet("ok-q", true)));
        ch.queueDelete("ok-new");
        ch.exchangeDelete("ok-newx");
    }

    @Test
    void declaringQueueOutsideConfigureRegexIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().queueDeclare("w-new", false, false, false, null));
        limitedUserStillWorks();
    }

    @Test
    void declaringExchangeOutsideConfigureRegexIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().exchangeDeclare("no-newx", "direct"));
    }

    @Test
    void deletingQueueOutsideConfigureRegexIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().queueDelete("w-q"));
    }

    @Test
    void publishingToExchangeOutsideWriteRegexIsAccessRefused403() throws Exception {
        Channel ch = limited.createChannel();
        publish(ch, "r-x", "", "m");
        awaitChannelClosed(ch, 403);
        limitedUserStillWorks();
    }

    @Test
    void publishingToDefaultExchangeNeedsWriteOnAmqDefault403() throws Exception {
        // RabbitMQ checks write permission on the resource named "amq.default" for the default exchange.
        Channel ch = limited.createChannel();
        publish(ch, "", "ok-q", "m");
        awaitChannelClosed(ch, 403);
    }

    @Test
    void consumingOrGettingFromQueueOutsideReadRegexIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().basicGet("w-q", true));
        assertChannelError(403, () -> limited.createChannel().basicConsume("w-q", true, new Recorder(null)));
        limited.createChannel().basicGet("r-q", true);
    }

    @Test
    void purgingQueueOutsideReadRegexIsAccessRefused403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().queuePurge("w-q"));
    }

    @Test
    void bindingNeedsWriteOnQueueAndReadOnExchange403() throws Exception {
        // queue.bind: write on the destination queue, read on the source exchange
        assertChannelError(403, () -> limited.createChannel().queueBind("r-q", "ok-x", ""));
        assertChannelError(403, () -> limited.createChannel().queueBind("w-q", "w-x", ""));
        limited.createChannel().queueBind("w-q", "r-x", "");
    }

    @Test
    void exchangeBindingNeedsWriteOnDestinationAndReadOnSource403() throws Exception {
        assertChannelError(403, () -> limited.createChannel().exchangeBind("r-x", "ok-x", ""));
        assertChannelError(403, () -> limited.createChannel().exchangeBind("w-x", "w-x", ""));
        limited.createChannel().exchangeBind("w-x", "r-x", "");
    }

    @Test
    void emptyRegexDeniesEverything() throws Exception {
        broker.admin().setPermissions(vhost, user, "", "", "");
        ConnectionFactory f = factory();
        f.setVirtualHost(vhost);
        f.setUsername(user);
        f.setPassword("s3cret");
        Connection c = track(f.newConnection());
        assertChannelError(403, () -> c.createChannel().queueDeclare("ok-q2", false, false, false, null));
        assertChannelError(403, () -> c.createChannel().basicGet("ok-q", true));
        // server-named queues are still subject to configure: amq.gen-* does not match ""
        assertChannelError(403, () -> c.createChannel().queueDeclare());
    }

    @Test
    void userWithoutPermissionsOnVhostCannotOpenIt530() throws Exception {
        String other = user("nopermsvhost", "pw");
        ConnectionFactory f = factory();
        f.setVirtualHost(vhost);
        f.setUsername(other);
        f.setPassword("pw");
        assertConnectionError(530, f::newConnection);
    }

    @Test
    void newUserPasswordIsChecked() throws Exception {
        ConnectionFactory f = factory();
        f.setVirtualHost(vhost);
        f.setUsername(user);
        f.setPassword("wrong");
        org.junit.jupiter.api.Assertions.assertThrows(com.rabbitmq.client.AuthenticationFailureException.class, f::newConnection);
    }
}
