package warren.discovery.consul;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;

class ConsulLockTest {

    private static final String KEY = "rabbitmq/default/startup_lock";

    private ConsulDouble consul;

    @BeforeEach
    void start() throws Exception {
        consul = ConsulDouble.start();
    }

    @AfterEach
    void stop() {
        consul.close();
    }

    private ConsulDiscovery backend(String node, String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.consul.host", consul.host());
        values.put("cluster_formation.consul.port", Integer.toString(consul.port()));
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new ConsulDiscovery(new DiscoverySettings(node, values));
    }


    @Test
    void nodesTakeTheLockOneAtATimeAndATimeoutNamesTheHolder() throws Exception {
        ConsulDiscovery a = backend("warren@node1", "cluster_formation.consul.svc_ttl", "10");
        ConsulDiscovery b = backend("warren@node2", "cluster_formation.consul.lock_timeout", "20");
        ConsulDiscovery c = backend("warren@node3", "cluster_formation.consul.lock_wait_time", "1");

        DiscoveryLock held = a.lock(Set.of("warren@node1")).orElseThrow();
        assertEquals(Optional.of("warren@node1"), consul.kvValue(KEY));
        assertEquals(Optional.of("warren@node1"), a.lockHolder());

        CompletableFuture<DiscoveryLock> second = CompletableFuture.supplyAsync(
                () -> b.lock(Set.of("warren@node2")).orElseThrow());
        ConsulDouble.await("node2 to see who holds the lock", () -> b.lockHolder().equals(Optional.of("warren@node1")));
        assertFalse(second.isDone());

        long start = System.nanoTime();
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> c.lock(Set.of("warren@node3")));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(900), "waited its lock_timeout");
        assertTrue(e.getMessage().contains("held by warren@node1"), e.getMessage());
        assertTrue(e.getMessage().contains(KEY) && e.getMessage().contains("cluster_formation.consul.lock_timeout"),
                e.getMessage());
        assertEquals(2, consul.sessions().size(), "node3 destroyed its session when it gave up");

        // a session of svc_ttl 10 s is renewed every 5 s while held
        ConsulDouble.await("a session renewal", () -> consul.requests().stream()
                .anyMatch(r -> r.path().startsWith("/v1/session/renew/")));

        held.close();
        DiscoveryLock next = second.get(10, TimeUnit.SECONDS);
        assertEquals(Optional.of("warren@node2"), consul.kvValue(KEY));
        assertEquals(Optional.of("warren@node2"), b.lockHolder());
        next.close();
        next.close();
        assertEquals(Optional.empty(), consul.kvSession(KEY));
        assertEquals(Set.of(), consul.sessions());
        assertTrue(consul.requests().stream().anyMatch(r -> r.path().equals("/v1/kv/" + KEY)
                && r.params().containsKey("index") && r.params().get("wait").endsWith("s")),
                "node2 waited with a blocking query");
    }

    @Test
    void theSessionUsesSvcTtlWithConsulsTenSecondMinimum() throws Exception {
        ConsulDiscovery a = backend("warren@node1", "cluster_formation.consul.svc_ttl", "1");

        a.lock(Set.of()).orElseThrow().close();

        ConsulDouble.Request create = consul.requests().stream()
                .filter(r -> r.path().equals("/v1/session/create")).findFirst().orElseThrow();
        JsonNode body = new ObjectMapper().readTree(create.body());
        assertEquals("warren@node1", body.get("Name").asText());
        assertEquals("10s", body.get("TTL").asText());
        List<String> paths = consul.requests().stream().map(r -> r.method() + " " + r.path()).toList();
        assertEquals("PUT /v1/kv/" + KEY, paths.get(1));
        assertTrue(consul.requests().get(2).params().containsKey("release"), paths.toString());
        assertTrue(paths.get(3).startsWith("PUT /v1/session/destroy/"), paths.toString());
    }

    @Test
    void aHolderWhoseSessionExpiredLeavesTheKeyUnderConsulsLockDelay() throws Exception {
        ConsulDiscovery a = backend("warren@node1");
        ConsulDiscovery b = backend("warren@node2", "cluster_formation.consul.lock_timeout", "1");
        DiscoveryLock held = a.lock(Set.of()).orElseThrow();
        String session = consul.kvSession(KEY).orElseThrow();

        consul.expireSession(session);

        assertEquals(Optional.empty(), consul.kvSession(KEY));
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> b.lock(Set.of()));
        assertTrue(e.getMessage().contains("lock-delay"), e.getMessage());
        held.close(); // its session is gone: logged, not thrown
    }

    @Test
    void aLockPrefixAndClusterNameMakeTheKey() {
        ConsulDiscovery a = backend("warren@node1", "cluster_formation.consul.lock_prefix", "environments-qa",
                "cluster_formation.consul.cluster_name", "blue");

        DiscoveryLock lock = a.lock(Set.of()).orElseThrow();

        assertEquals(Optional.of("warren@node1"), consul.kvValue("environments-qa/blue/startup_lock"));
        lock.close();
    }
}
