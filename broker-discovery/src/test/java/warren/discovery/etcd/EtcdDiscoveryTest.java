package warren.discovery.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;

/** The backend against a real etcd 3.4: registration, leases, discovery, the lock, failover. */
class EtcdDiscoveryTest {

    private static EtcdServer etcd;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdServer.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    /** Settings for a cluster named after the test, so tests sharing the server do not meet. */
    private static Map<String, String> settings(TestInfo test) {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.peer_discovery_backend", "etcd");
        values.put("cluster_formation.etcd.endpoints.1", etcd.endpoint());
        values.put("cluster_formation.etcd.cluster_name", test.getTestMethod().orElseThrow().getName());
        values.put("cluster_formation.etcd.node_ttl", "2");
        return values;
    }

    private static EtcdDiscovery backend(String node, Map<String, String> values) {
        return new EtcdDiscovery(new DiscoverySettings(node, values));
    }

    private static EtcdDiscovery backend(String node, Map<String, String> values, String address, int port) {
        return new EtcdDiscovery(new DiscoverySettings(node, values, address, port));
    }

    private static void await(String what, Duration bound, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + bound + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void registerPutsTheNodeKeyAtRabbitMqsPathBoundToALeaseAndUnregisterRemovesIt(TestInfo test)
            throws Exception {
        EtcdDiscovery node = backend("warren@host1", settings(test), "127.0.0.11", 25672);
        String key = "/rabbitmq/discovery/rabbitmq/clusters/" + test.getTestMethod().get().getName()
                + "/nodes/warren@host1";
        assertEquals(key, node.nodeKey());
        assertTrue(node.supportsRegistration());

        node.register();

        long lease = etcd.lease(key).orElseThrow(() -> new AssertionError("no key " + key));
        assertTrue(lease != 0, "key bound to a lease");
        assertTrue(etcd.leaseTtl(lease) > 0, "lease alive");
        JsonNode value = JSON.readTree(etcd.get(key).orElseThrow());
        assertEquals("warren@host1", value.path("node").asText());
        assertEquals(lease, value.path("lease_id").asLong());
        assertEquals(2, value.path("ttl").asInt());
        assertEquals("127.0.0.11", value.path("address").asText());
        assertEquals(25672, value.path("cluster_port").asInt());

        node.register(); // again: the key moves to a new lease, the old one is revoked
        long second = etcd.lease(key).orElseThrow();
        assertTrue(second != lease && etcd.leaseTtl(second) > 0, "key on a new live lease");
        assertEquals(-1, etcd.leaseTtl(lease), "previous lease revoked");

        node.unregister();

        assertEquals(Optional.empty(), etcd.get(key));
        assertEquals(-1, etcd.leaseTtl(second), "lease revoked");
    }

    @Test
    void customKeyPrefixGoesIntoBothPaths(TestInfo test) {
        Map<String, String> values = settings(test);
        values.put("cluster_formation.etcd.key_prefix", "rabbitmq_discovery");
        values.put("cluster_formation.etcd.cluster_name", "staging");
        EtcdDiscovery node = backend("warren@host1", values);
        assertEquals("/rabbitmq/discovery/rabbitmq_discovery/clusters/staging/nodes/warren@host1", node.nodeKey());
        assertEquals("/rabbitmq/locks/rabbitmq_discovery/clusters/staging/registration", node.lockKey());
    }

    @Test
    void discoverListsRegisteredNodesWithTheirAddressesAndToleratesForeignValues(TestInfo test) {
        Map<String, String> values = settings(test);
        values.put("cluster_formation.node_type", "ram");
        EtcdDiscovery a = backend("warren@host1", values, "127.0.0.11", 25672);
        EtcdDiscovery b = backend("warren@host2", values, "::1", 25673);
        EtcdDiscovery c = backend("warren@host3", values, null, 0);
        String prefix = "/rabbitmq/discovery/rabbitmq/clusters/" + test.getTestMethod().get().getName() + "/nodes/";
        try {
            a.register();
            b.register();
            c.register();
            // what RabbitMQ writes, a hand-written plain value, and a key of a longer cluster name
            etcd.put(prefix + "rabbit@rmq1", "{\"node\":\"rabbit@rmq1\",\"lease_id\":7,\"ttl\":30}");
            etcd.put(prefix + "rabbit@plain", "not json at all");
            etcd.put(prefix.replace("/nodes/", "2/nodes/") + "warren@other", "{}");

            DiscoveredPeers peers = backend("warren@host9", values).discover();

            assertEquals(List.of("rabbit@plain", "rabbit@rmq1", "warren@host1", "warren@host2", "warren@host3"),
                    peers.nodes());
            assertEquals(NodeType.RAM, peers.nodeType());
            assertEquals(Optional.of("127.0.0.11:25672"), peers.address("warren@host1"));
            assertEquals(Optional.of("[::1]:25673"), peers.address("warren@host2"));
            assertEquals(Optional.empty(), peers.address("warren@host3"));
            assertEquals(Optional.empty(), peers.address("rabbit@rmq1"));
            assertEquals(Optional.empty(), peers.address("rabbit@plain"));
        } finally {
            a.unregister();
            b.unregister();
            c.unregister();
        }
    }

    @Test
    void theKeyOfAKilledNodeExpiresWithItsLeaseWhileALiveOneIsKept(TestInfo test) throws Exception {
        EtcdDiscovery node = backend("warren@host1", settings(test));
        node.register();
        String key = node.nodeKey();
        long lease = etcd.lease(key).orElseThrow();

        // kept alive past its 2 s TTL
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
        while (System.nanoTime() < until) {
            assertEquals(Optional.of(lease), etcd.lease(key), "key kept while the node refreshes its lease");
            Thread.sleep(250);
        }

        node.stopKeepAliveForTest();
        long stopped = System.nanoTime();
        await("key " + key + " expires", Duration.ofSeconds(6), () -> etcd.get(key).isEmpty());
        assertTrue(System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(5), "expired within TTL + slack");
        assertEquals(List.of(), node.discover().nodes());
    }

    @Test
    void theLockMakesASecondNodeWaitAndAThirdGiveUpNamingTheHolder(TestInfo test) throws Exception {
        Map<String, String> values = settings(test);
        values.put("cluster_formation.etcd.lock_timeout", "20");
        EtcdDiscovery a = backend("warren@host1", values);
        EtcdDiscovery b = backend("warren@host2", values);
        Map<String, String> impatient = new HashMap<>(values);
        impatient.put("cluster_formation.etcd.lock_timeout", "1");
        EtcdDiscovery c = backend("warren@host3", impatient);
        String lockKey = "/rabbitmq/locks/rabbitmq/clusters/" + test.getTestMethod().get().getName() + "/registration";
        assertEquals(lockKey, a.lockKey());

        DiscoveryLock held = a.lock(Set.of("warren@host1")).orElseThrow();
        CompletableFuture<DiscoveryLock> second = CompletableFuture.supplyAsync(
                () -> b.lock(Set.of("warren@host2", "warren@host1")).orElseThrow());
        try {
            JsonNode value = JSON.readTree(etcd.get(lockKey).orElseThrow());
            assertEquals("warren@host1", value.path("node").asText());
            long lease = etcd.lease(lockKey).orElseThrow();
            assertTrue(lease != 0 && etcd.leaseTtl(lease) > 0, "lock bound to a live lease");

            await("second node sees the holder", Duration.ofSeconds(5),
                    () -> b.lockHolder().equals(Optional.of("warren@host1")));
            assertFalse(second.isDone(), "second node waits");

            long start = System.nanoTime();
            DiscoveryException e = assertThrows(DiscoveryException.class, () -> c.lock(Set.of("warren@host3")));
            long waited = System.nanoTime() - start;
            assertTrue(e.getMessage().contains("held by warren@host1"), e.getMessage());
            assertTrue(e.getMessage().contains("cluster_formation.etcd.lock_timeout"), e.getMessage());
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(900) && waited < TimeUnit.SECONDS.toNanos(5),
                    "waited about lock_timeout: " + waited / 1_000_000 + " ms");
            assertEquals(Optional.of("warren@host1"), c.lockHolder());

            // the lease kept alive: still held after more than its 2 s TTL
            Thread.sleep(2500);
            assertFalse(second.isDone(), "second node still waits while the first holds the lock");
            assertEquals(Optional.of(lease), etcd.lease(lockKey));

            held.close();
            held.close(); // harmless
            assertEquals(-1, etcd.leaseTtl(lease), "first lock's lease revoked");

            DiscoveryLock next = second.get(5, TimeUnit.SECONDS);
            assertEquals("warren@host2", JSON.readTree(etcd.get(lockKey).orElseThrow()).path("node").asText());
            assertEquals(Optional.empty(), b.lockHolder());
            next.close();
            assertEquals(Optional.empty(), etcd.get(lockKey));
        } finally {
            held.close();
            second.thenAccept(DiscoveryLock::close);
        }
    }

    @Test
    void aLockWhoseHolderDiedIsFreedByItsLease(TestInfo test) throws Exception {
        Map<String, String> values = settings(test);
        values.put("cluster_formation.etcd.lock_timeout", "10");
        String lockKey = backend("warren@host1", values).lockKey();
        // a holder that went away without releasing: its lease is not refreshed by anyone
        String leaseHex = etcd.etcdctl("lease", "grant", "2").split("\\s+")[1];
        etcd.etcdctl("put", "--lease=" + leaseHex, lockKey, "{\"node\":\"warren@dead\"}");

        long start = System.nanoTime();
        try (DiscoveryLock lock = backend("warren@host2", values).lock(Set.of("warren@host2")).orElseThrow()) {
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(6), "taken once the lease expired");
            assertEquals("warren@host2", JSON.readTree(etcd.get(lockKey).orElseThrow()).path("node").asText());
        }
    }

    @Test
    void anEndpointThatDoesNotAnswerIsSkippedAndTheWorkingOneRemembered(TestInfo test) {
        Map<String, String> values = settings(test);
        int dead = EtcdServer.freePort();
        values.put("cluster_formation.etcd.endpoints.1", "127.0.0.1:" + dead);
        values.put("cluster_formation.etcd.endpoints.2", etcd.endpoint());
        EtcdDiscovery node = backend("warren@host1", values);

        node.register();
        try {
            assertEquals(etcd.clientUrl(), node.clientForTest().currentEndpoint());
            assertEquals(List.of("warren@host1"), node.discover().nodes());
        } finally {
            node.unregister();
        }
    }

    @Test
    void noAnsweringEndpointFailsNamingEveryEndpointTried(TestInfo test) {
        Map<String, String> values = settings(test);
        int dead1 = EtcdServer.freePort();
        int dead2 = EtcdServer.freePort();
        values.put("cluster_formation.etcd.endpoints.1", "127.0.0.1:" + dead1);
        values.put("cluster_formation.etcd.endpoints.2", "127.0.0.1:" + dead2);

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> backend("warren@host1", values).discover());

        assertTrue(e.getMessage().contains("127.0.0.1:" + dead1) && e.getMessage().contains("127.0.0.1:" + dead2),
                e.getMessage());
        assertTrue(e.getMessage().contains("cluster_formation.etcd.endpoints"), e.getMessage());
    }
}
