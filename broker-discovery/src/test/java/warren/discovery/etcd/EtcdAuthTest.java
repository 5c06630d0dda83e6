package warren.discovery.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoveryLock;
import warren.discovery.DiscoverySettings;

/** The backend against an etcd with authentication enabled. */
class EtcdAuthTest {

    private static EtcdServer etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdServer.start();
        etcd.enableAuth("r00t-pw");
        etcd.addUser("rabbitmq", "s3kR37", "/rabbitmq/");
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static EtcdDiscovery backend(String cluster, String user, String password) {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.etcd.endpoints.1", etcd.endpoint());
        values.put("cluster_formation.etcd.cluster_name", cluster);
        if (user != null) {
            values.put("cluster_formation.etcd.username", user);
        }
        if (password != null) {
            values.put("cluster_formation.etcd.password", password);
        }
        return new EtcdDiscovery(new DiscoverySettings("warren@host1", values));
    }

    @Test
    void aUserWithTheRightPasswordRegistersDiscoversAndLocks() {
        EtcdDiscovery node = backend("right", "rabbitmq", "s3kR37");
        node.register();
        try {
            assertEquals(List.of("warren@host1"), node.discover().nodes());
            try (DiscoveryLock lock = node.lock(Set.of("warren@host1")).orElseThrow()) {
                assertTrue(etcd.get(node.lockKey()).isPresent());
            }
            assertTrue(etcd.get(node.lockKey()).isEmpty());
        } finally {
            node.unregister();
        }
        assertEquals(List.of(), etcd.keys("/rabbitmq/discovery/rabbitmq/clusters/right/"));
    }

    @Test
    void anExpiredOrInvalidTokenIsReplacedByAuthenticatingAgain() {
        EtcdDiscovery node = backend("token", "rabbitmq", "s3kR37");
        node.register();
        try {
            node.clientForTest().invalidateTokenForTest();
            assertEquals(List.of("warren@host1"), node.discover().nodes());
        } finally {
            node.unregister();
        }
    }

    @Test
    void aWrongPasswordFailsNamingTheUserAndTheKeys() {
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> backend("wrong", "rabbitmq", "nope").discover());

        assertTrue(e.getMessage().contains("rejected user 'rabbitmq'"), e.getMessage());
        assertTrue(e.getMessage().contains("invalid user ID or password"), e.getMessage());
        assertTrue(e.getMessage().contains("cluster_formation.etcd.password"), e.getMessage());
    }

    @Test
    void noCredentialsFailsSayingWhichKeysToSet() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> backend("none", null, null).discover());

        assertTrue(e.getMessage().contains("requires authentication"), e.getMessage());
        assertTrue(e.getMessage().contains("cluster_formation.etcd.username"), e.getMessage());
    }
}
