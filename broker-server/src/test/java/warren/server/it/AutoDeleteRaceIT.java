package warren.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #10 item 7, found by a client library's own integration tests (which pass on RabbitMQ 3.10):
 * when an auto-delete (or exclusive, or expiring) queue goes away and another connection redeclares it
 * at once, the declare must leave a queue that exists, and queue.delete must be delete-ok in every
 * interleaving. Each interleaving is forced {@code warren.race.iterations} times (default 1000 here; set
 * {@code -Dwarren.race.iterations=20000} for a long run), with the Java client over real sockets.
 * Runs against RabbitMQ too ({@code -Dwarren.it.port=...}).
 */
class AutoDeleteRaceIT extends AmqpIT {

    private static final int ITERATIONS = Integer.getInteger("warren.race.iterations", 1000);

    private ExecutorService closer;
    private Connection other;
    private ConnectionFactory factory;

    @BeforeEach
    void setUp() throws Exception {
        closer = Executors.newSingleThreadExecutor();
        other = connect();
        factory = factory();
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.shutdownNow();
        assertTrue(closer.awaitTermination(10, TimeUnit.SECONDS));
        assertUsable(other);
    }

    private static void noop(String tag, com.rabbitmq.client.Delivery d) {
    }

    private static void noCancel(String tag) {
    }

    /** Fails with the iteration number and what the broker answered. */
    private static void call(int iteration, String what, AmqpCall op) {
        try {
            op.run();
        } catch (Exception e) {
            fail("iteration " + iteration + ": " + what + " failed: " + e + (e.getCause() == null ? "" : " / " + e.getCause()), e);
        }
    }

    @Test
    void autoDeleteQueueRedeclaredAndConsumedRightAfterItsLastConsumersConnectionCloses() throws Exception {
        String name = cleanupQueue(unique("ad-redeclare"));
        Channel ch = other.createChannel();
        for (int i = 0; i < ITERATIONS; i++) {
            int n = i;
            Connection consumer = factory.newConnection();
            Channel cc = consumer.createChannel();
            cc.queueDeclare(name, false, false, true, null);
            cc.basicConsume(name, true, AutoDeleteRaceIT::noop, AutoDeleteRaceIT::noCancel);
            consumer.close(); // the last consumer goes: the queue auto-deletes
            call(n, "redeclare", () -> ch.queueDeclare(name, false, false, true, null));
            String[] tag = new String[1];
            call(n, "consume after declare-ok", () -> tag[0] = ch.basicConsume(name, true, AutoDeleteRaceIT::noop,
                    AutoDeleteRaceIT::noCancel));
            ch.basicCancel(tag[0]); // this channel was the last consumer: gone again for the next round
        }
        assertChannelError(404, () -> other.createChannel().queueDeclarePassive(name));
    }

    @Test
    void autoDeleteQueueRedeclaredRightAfterItsLastConsumersChannelCloses() throws Exception {
        // RabbitMQ 3.10 itself sometimes answers this redeclare for the queue the channel close is about to
        // auto-delete (the publish below then vanishes with it); Warren guarantees the queue exists
        assumeEmbedded("RabbitMQ can declare-ok a queue its channel's close is about to auto-delete");
        String name = cleanupQueue(unique("ad-channel"));
        Connection consumer = connect();
        Channel ch = other.createChannel();
        for (int i = 0; i < ITERATIONS; i++) {
            int n = i;
            Channel cc = consumer.createChannel();
            cc.queueDeclare(name, false, false, true, null);
            cc.basicConsume(name, false, AutoDeleteRaceIT::noop, AutoDeleteRaceIT::noCancel);
            cc.close();
            call(n, "redeclare", () -> ch.queueDeclare(name, false, false, true, null));
            call(n, "publish to the redeclared queue and get it back", () -> {
                ch.basicPublish("", name, null, bytes("m" + n));
                assertEquals(1, ch.queueDeclarePassive(name).getMessageCount());
                assertEquals("m" + n, str(ch.basicGet(name, true).getBody()));
            });
            String tag = ch.basicConsume(name, true, AutoDeleteRaceIT::noop, AutoDeleteRaceIT::noCancel);
            ch.basicCancel(tag);
        }
    }

    @Test
    void deleteRacingAutoDeleteIsAlwaysDeleteOk() throws Exception {
        String name = cleanupQueue(unique("ad-delete"));
        Channel ch = other.createChannel();
        for (int i = 0; i < ITERATIONS; i++) {
            int n = i;
            Connection consumer = factory.newConnection();
            Channel cc = consumer.createChannel();
            cc.queueDeclare(name, false, false, true, null);
            cc.basicConsume(name, true, AutoDeleteRaceIT::noop, AutoDeleteRaceIT::noCancel);
            // the consumer's connection closes while the other connection deletes the queue
            Future<?> closing = closer.submit(() -> {
                consumer.close();
                return null;
            });
            call(n, "queue.delete racing auto-delete", () -> ch.queueDelete(name));
            closing.get(10, TimeUnit.SECONDS);
            call(n, "queue.delete of the deleted queue", () -> ch.queueDelete(name)); // idempotent
            // the name is free: a declare makes a new, empty queue
            call(n, "declare after delete", () -> assertEquals(0, ch.queueDeclare(name, false, false, false, null)
                    .getMessageCount()));
            ch.queueDelete(name);
        }
        assertChannelError(404, () -> other.createChannel().queueDeclarePassive(name));
    }

    @Test
    void exclusiveQueueOfAClosingConnectionRedeclaredByAnother() throws Exception {
        String name = cleanupQueue(unique("excl"));
        Channel ch = other.createChannel();
        for (int i = 0; i < ITERATIONS; i++) {
            int n = i;
            Connection owner = factory.newConnection();
            owner.createChannel().queueDeclare(name, false, true, false, null);
            owner.close(); // its exclusive queue goes with it
            boolean exclusive = n % 2 == 0;
            call(n, "redeclare by another connection (exclusive=" + exclusive + ")",
                    () -> ch.queueDeclare(name, false, exclusive, false, null));
            call(n, "consume the redeclared queue", () -> ch.basicCancel(ch.basicConsume(name, true,
                    AutoDeleteRaceIT::noop, AutoDeleteRaceIT::noCancel)));
            call(n, "delete it", () -> ch.queueDelete(name));
        }
    }

    @Test
    void expiringQueueRedeclaredAroundItsExpiry() throws Exception {
        String name = cleanupQueue(unique("expires"));
        Map<String, Object> args = Map.of("x-expires", 30);
        Channel ch = other.createChannel();
        int rounds = Math.max(50, ITERATIONS / 10);
        for (int i = 0; i < rounds; i++) {
            int n = i;
            ch.queueDeclare(name, false, false, false, args);
            // not a wait for something: this places the redeclare around the expiry (25..35 ms after the
            // declare, x-expires 30), the interleaving under test; the declare must leave a queue that exists
            TimeUnit.MILLISECONDS.sleep(25 + n % 11);
            call(n, "redeclare around x-expires", () -> ch.queueDeclare(name, false, false, false, args));
            call(n, "consume right after", () -> ch.basicCancel(ch.basicConsume(name, true, AutoDeleteRaceIT::noop,
                    AutoDeleteRaceIT::noCancel)));
            ch.queueDelete(name);
        }
    }
}
