package warren.cluster.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.cluster.ClusterSettings;
import warren.cluster.Waits;
import warren.cluster.jgroups.ClusterChannel;
import warren.core.amqp.ChannelException;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.core.metadata.MetadataCommand;
import warren.core.queue.MessageQueue;
import warren.core.store.InMemoryMessageStore;

/**
 * Definitions agreed among real brokers over real JGroups channels (TCP on loopback): what one
 * node declares, every node has; conflicting declarations fail the same way everywhere; a joiner
 * receives what was defined before it came.
 */
class ReplicatedDefinitionsTest {
    private static final String COOKIE = "replication-test-cookie";
    private static final long WAIT_MS = 15_000;

    @TempDir
    Path dir;
    private final List<InetSocketAddress> seeds = new ArrayList<>();
    private final List<ClusterChannel> channels = new ArrayList<>();
    private final List<Broker> brokers = new ArrayList<>();

    @BeforeEach
    void ports() throws IOException {
        for (int i = 0; i < 4; i++) {
            seeds.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Waits.freePort()));
        }
    }

    @AfterEach
    void stop() {
        channels.forEach(ClusterChannel::close);
        brokers.forEach(Broker::close);
    }

    private Broker node(int i) throws Exception {
        String name = "n" + i + "@test";
        JGroupsMetadataReplicator replicator = new JGroupsMetadataReplicator(name);
        Broker broker = new Broker(BrokerSettings.defaults(name, dir.resolve(name)), null, new InMemoryMessageStore(),
                replicator);
        ClusterChannel channel = new ClusterChannel(
                ClusterSettings.fast(name, seeds.get(i).getPort(), seeds.subList(0, 3), COOKIE), replicator);
        replicator.attach(channel);
        channel.start("warren-replication-test");
        brokers.add(broker);
        channels.add(channel);
        return broker;
    }

    private List<Broker> cluster() throws Exception {
        List<Broker> out = List.of(node(0), node(1), node(2));
        await("a view of three", () -> channels.stream().allMatch(c -> c.members().size() == 3));
        return out;
    }

    @Test
    void exchangeQueueAndBindingDeclaredOnOneNodeExistOnEveryNode() throws Exception {
        List<Broker> nodes = cluster();
        get(nodes.get(0).submit(new MetadataCommand.DeclareExchange("/", "orders", "topic", true, false, false,
                Map.of())));
        get(nodes.get(1).submit(new MetadataCommand.DeclareQueue("/", "eu-orders", true, false,
                Map.of("x-max-length", 10), "n1@test")));
        get(nodes.get(2).submit(new MetadataCommand.Bind("/", "orders", "eu-orders", false, "eu.#", Map.of())));
        for (Broker b : nodes) {
            await("definitions on " + b.settings().nodeName(), () -> b.vhost("/").exchange("orders") != null
                    && b.vhost("/").queue("eu-orders") != null && b.vhost("/").bindings().size() == 1);
            assertEquals("topic", b.vhost("/").exchange("orders").type().wireName());
        }
        assertTrue(nodes.get(1).vhost("/").queue("eu-orders").isLocal(), "the queue lives on its home node");
        assertEquals("n1@test", nodes.get(0).vhost("/").queue("eu-orders").remoteHome());
    }

    @Test
    void conflictingDeclarationsResolveTheSameWayOnEveryNode() throws Exception {
        List<Broker> nodes = cluster();
        for (int round = 0; round < 10; round++) {
            String q = "contested-" + round;
            CompletableFuture<Object> a = nodes.get(0).submit(new MetadataCommand.DeclareQueue("/", q, true, false,
                    Map.of("x-max-length", 1), "n0@test"));
            CompletableFuture<Object> b = nodes.get(1).submit(new MetadataCommand.DeclareQueue("/", q, true, false,
                    Map.of("x-max-length", 2), "n1@test"));
            Throwable errA = outcome(a);
            Throwable errB = outcome(b);
            assertTrue((errA == null) != (errB == null), "exactly one declaration wins (round " + round + ")");
            ChannelException loser = assertInstanceOf(ChannelException.class, errA == null ? errB : errA);
            assertEquals(406, loser.replyCode().code());
            Object winningLength = errA == null ? 1 : 2;
            for (Broker n : nodes) {
                await("queue " + q + " on " + n.settings().nodeName(), () -> n.vhost("/").queue(q) != null);
                MessageQueue declared = n.vhost("/").queue(q);
                assertEquals(winningLength, declared.arguments().raw().get("x-max-length"),
                        "every node keeps the winner's arguments");
            }
        }
    }

    @Test
    void aUserAddedOnOneNodeCanLogInOnAnother() throws Exception {
        List<Broker> nodes = cluster();
        nodes.get(0).admin().addUser("ops", "s3cret", Set.of("administrator"));
        await("user on n2", () -> nodes.get(2).authenticate("ops", "s3cret") != null);
        nodes.get(2).admin().deleteUser("ops");
        await("user gone from n0", () -> nodes.get(0).authenticate("ops", "s3cret") == null);
    }

    @Test
    void aJoinerReceivesTheDefinitionsMadeBeforeIt() throws Exception {
        List<Broker> nodes = cluster();
        get(nodes.get(0).submit(new MetadataCommand.PutVhost("staging")));
        get(nodes.get(1).submit(new MetadataCommand.DeclareExchange("staging", "events", "fanout", true, false,
                false, Map.of())));
        Broker joiner = node(3);
        await("vhost and exchange on the joiner", () -> joiner.vhost("staging") != null
                && joiner.vhost("staging").exchange("events") != null);
        get(joiner.submit(new MetadataCommand.DeclareQueue("staging", "late", false, false, Map.of(), "n3@test")));
        for (Broker n : nodes) {
            await("queue from the joiner on " + n.settings().nodeName(), () -> n.vhost("staging").queue("late") != null);
        }
    }

    @Test
    void vhostAndUserLimitsReachEveryNodeAndAJoinerAndAreEnforcedEverywhere() throws Exception {
        List<Broker> nodes = cluster();
        nodes.get(0).admin().setVhostLimits("/", Map.of("max-queues", 1L, "max-connections", 5L));
        nodes.get(1).admin().addUser("app", "pw", Set.of());
        nodes.get(1).admin().setUserLimits("app", Map.of("max-channels", 3L));
        Broker joiner = node(3);
        List<Broker> all = List.of(nodes.get(0), nodes.get(1), nodes.get(2), joiner);
        for (Broker n : all) {
            await("limits on " + n.settings().nodeName(), () -> n.limits().vhost("/").equals(
                    Map.of("max-connections", 5L, "max-queues", 1L))
                    && n.limits().user("app").equals(Map.of("max-channels", 3L)));
        }
        get(nodes.get(2).submit(new MetadataCommand.DeclareQueue("/", "only", false, false, Map.of(), "n2@test")));
        Throwable over = outcome(joiner.submit(new MetadataCommand.DeclareQueue("/", "second", false, false, Map.of(),
                "n3@test")));
        ChannelException refused = assertInstanceOf(ChannelException.class, over);
        assertEquals(406, refused.replyCode().code());
        assertEquals("PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost '/' (1) is reached",
                refused.replyText());
        joiner.admin().clearVhostLimits("/");
        nodes.get(0).admin().clearUserLimits("app", "all");
        for (Broker n : all) {
            await("limits cleared on " + n.settings().nodeName(), () -> n.limits().vhost("/").isEmpty()
                    && n.limits().user("app").isEmpty());
        }
    }

    private static Object get(CompletableFuture<Object> f) throws Exception {
        return f.get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private static Throwable outcome(CompletableFuture<Object> f) throws Exception {
        try {
            assertNotNull(f.get(WAIT_MS, TimeUnit.MILLISECONDS));
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Waits.await(what, WAIT_MS, condition);
    }

}
