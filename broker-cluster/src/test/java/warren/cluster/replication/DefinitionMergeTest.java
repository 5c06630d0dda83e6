package warren.cluster.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.cluster.ClusterSettings;
import warren.cluster.Waits;
import org.jgroups.protocols.DISCARD;
import warren.cluster.jgroups.ClusterChannel;
import warren.cluster.jgroups.Partitions;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.core.broker.VirtualHost;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.VersionedRecord;
import warren.core.store.rocksdb.RocksDbMessageStore;

/**
 * Nodes that have been apart merge their definitions record by record when they meet again:
 * real brokers on RocksDB stores, real JGroups channels on loopback, nodes stopped and started
 * again from their data directories.
 */
class DefinitionMergeTest {
    private static final String COOKIE = "merge-test-cookie";
    private static final long WAIT_MS = 20_000;

    @TempDir
    Path dir;
    private final List<InetSocketAddress> seeds = new ArrayList<>();
    private final Node[] nodes = new Node[2];

    /** One in-process node: its broker (on its own store) and its cluster channel. */
    private final class Node implements AutoCloseable {
        final String name;
        final Broker broker;
        final ClusterChannel channel;
        final JGroupsMetadataReplicator replicator;

        Node(int i) throws Exception {
            name = "m" + i + "@test";
            replicator = new JGroupsMetadataReplicator(name);
            broker = new Broker(BrokerSettings.defaults(name, dir.resolve(name)), null,
                    new RocksDbMessageStore(dir.resolve(name).resolve("store")), replicator);
            channel = new ClusterChannel(ClusterSettings.fast(name, seeds.get(i).getPort(), seeds, COOKIE), replicator);
            replicator.attach(channel);
            channel.start("warren-merge-test");
            replicator.publishMerge();
        }

        VirtualHost root() {
            return broker.vhost("/");
        }

        Object change(MetadataCommand c) throws Exception {
            CompletableFuture<Object> f = broker.submit(c);
            Object v = f.get(WAIT_MS, TimeUnit.MILLISECONDS);
            broker.lastDefinitionWrite().get(WAIT_MS, TimeUnit.MILLISECONDS);
            return v;
        }

        long tombstones() {
            return broker.definitionsSnapshot().stream().filter(VersionedRecord::isTombstone).count();
        }

        @Override
        public void close() {
            channel.close();
            broker.close();
        }
    }

    @BeforeEach
    void ports() throws IOException {
        for (int i = 0; i < nodes.length; i++) {
            seeds.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), Waits.freePort()));
        }
    }

    @AfterEach
    void stopAll() {
        for (Node n : nodes) {
            if (n != null) {
                n.close();
            }
        }
    }

    private Node start(int i) throws Exception {
        nodes[i] = new Node(i);
        return nodes[i];
    }

    private void stop(int i) {
        nodes[i].close();
        nodes[i] = null;
    }

    private static MetadataCommand queue(String name, String home) {
        return new MetadataCommand.DeclareQueue("/", name, true, false, Map.of(), home);
    }

    private static MetadataCommand bind(String exchange, String queue) {
        return new MetadataCommand.Bind("/", exchange, queue, false, queue, Map.of());
    }

    @Test
    void nodesThatWereApartKeepEveryChangeEachMadeIncludingDeletions() throws Exception {
        Node a = start(0);
        Node b = start(1);
        await("a view of two", () -> a.channel.members().size() == 2 && b.channel.members().size() == 2);
        a.change(new MetadataCommand.DeclareExchange("/", "x", "direct", true, false, false, Map.of()));
        a.change(queue("q1", a.name));
        a.change(queue("q2", a.name));
        a.change(bind("x", "q1"));
        await("definitions on b", () -> b.root().queue("q2") != null && b.root().bindings().size() == 1);

        stop(1); // b goes down first
        a.change(new MetadataCommand.DeleteQueue("/", "q1")); // its binding goes with it
        a.change(queue("q3", a.name));
        stop(0); // a goes down last

        Node b2 = start(1); // b comes back alone and changes things on its own
        b2.change(queue("q4", b2.name));
        b2.change(bind("x", "q4"));
        b2.change(new MetadataCommand.DeleteQueue("/", "q2"));

        Node a2 = start(0); // a joins b: both keep what the other did
        for (Node n : List.of(a2, b2)) {
            await("merged definitions on " + n.name, () -> n.root().queue("q1") == null && n.root().queue("q2") == null
                    && n.root().queue("q3") != null && n.root().queue("q4") != null);
            await("bindings on " + n.name, () -> n.root().bindings().size() == 1);
            assertEquals("q4", n.root().bindings().get(0).destination());
        }
        assertEquals(a2.name, b2.root().queue("q3").remoteHome(), "the merged queue keeps its home node");
        assertTrue(b2.root().queue("q4").isLocal());

        // what was merged is on disk: a node restarted alone still has it
        stop(0);
        Node a3 = start(0);
        await("a3 rejoined", () -> a3.channel.members().size() == 2);
        stop(1);
        await("a3 alone", () -> a3.channel.members().size() == 1);
        assertNotNull(a3.root().queue("q4"));
        assertNull(a3.root().queue("q2"));
    }

    @Test
    void aConflictResolvesToTheNewerDeclarationOnBothNodes() throws Exception {
        Node a = start(0);
        Node b = start(1);
        await("a view of two", () -> a.channel.members().size() == 2 && b.channel.members().size() == 2);
        stop(1);
        a.change(new MetadataCommand.DeclareQueue("/", "contested", true, false, Map.of("x-max-length", 1), a.name));
        stop(0);
        Node b2 = start(1);
        // b's declaration is later than a's: b restarted after a's change (its clock is past a's)
        b2.change(new MetadataCommand.DeclareQueue("/", "contested", true, false, Map.of("x-max-length", 2), b2.name));
        Node a2 = start(0);
        for (Node n : List.of(a2, b2)) {
            await("the newer declaration on " + n.name, () -> n.root().queue("contested") != null
                    && Integer.valueOf(2).equals(n.root().queue("contested").arguments().raw().get("x-max-length")));
        }
        assertTrue(b2.root().queue("contested").isLocal());
        assertFalse(a2.root().queue("contested").isLocal());
    }

    @Test
    void aHealedPartitionMergesWhatEachSideDid() throws Exception {
        Node a = start(0);
        Node b = start(1);
        await("a view of two", () -> a.channel.members().size() == 2 && b.channel.members().size() == 2);
        a.change(queue("q1", a.name));
        a.change(queue("q2", b.name));
        await("q2 on b", () -> b.root().queue("q2") != null);
        DISCARD cutA = Partitions.insertDiscard(a.channel);
        DISCARD cutB = Partitions.insertDiscard(b.channel);
        cutA.discardAll(true);
        cutB.discardAll(true);
        await("a partition", () -> a.channel.members().size() == 1 && b.channel.members().size() == 1);
        a.change(new MetadataCommand.DeleteQueue("/", "q1"));
        a.change(queue("from-a", a.name));
        b.change(queue("from-b", b.name));
        b.change(new MetadataCommand.DeleteQueue("/", "q2"));
        cutA.discardAll(false);
        cutB.discardAll(false);
        for (Node n : List.of(a, b)) {
            await("merged partitions on " + n.name, () -> n.channel.members().size() == 2
                    && n.root().queue("from-a") != null && n.root().queue("from-b") != null
                    && n.root().queue("q1") == null && n.root().queue("q2") == null);
        }
    }

    @Test
    void limitsSetAndClearedOnEitherSideOfAPartitionMerge() throws Exception {
        Node a = start(0);
        Node b = start(1);
        await("a view of two", () -> a.channel.members().size() == 2 && b.channel.members().size() == 2);
        a.change(new MetadataCommand.PutUserLimits("guest", Map.of("max-channels", 10L)));
        await("user limits on b", () -> !b.broker.limits().user("guest").isEmpty());
        DISCARD cutA = Partitions.insertDiscard(a.channel);
        DISCARD cutB = Partitions.insertDiscard(b.channel);
        cutA.discardAll(true);
        cutB.discardAll(true);
        await("a partition", () -> a.channel.members().size() == 1 && b.channel.members().size() == 1);
        a.change(new MetadataCommand.PutVhostLimits("/", Map.of("max-queues", 7L)));
        b.change(new MetadataCommand.ClearUserLimits("guest"));
        cutA.discardAll(false);
        cutB.discardAll(false);
        for (Node n : List.of(a, b)) {
            await("merged limits on " + n.name, () -> n.channel.members().size() == 2
                    && n.broker.limits().vhost("/").equals(Map.of("max-queues", 7L))
                    && n.broker.limits().user("guest").isEmpty());
        }
    }

    @Test
    void tombstonesArePurgedOnlyOnceEveryMemberHasSeenThem() throws Exception {
        Node a = start(0);
        Node b = start(1);
        await("a view of two", () -> a.channel.members().size() == 2 && b.channel.members().size() == 2);
        a.change(queue("short-lived", a.name));
        a.change(new MetadataCommand.DeleteQueue("/", "short-lived"));
        await("tombstone on both", () -> a.tombstones() == 1 && b.tombstones() == 1);
        a.replicator.purgeTombstones();
        await("tombstones purged on both", () -> a.tombstones() == 0 && b.tombstones() == 0);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Waits.await(what, WAIT_MS, condition);
    }

}
