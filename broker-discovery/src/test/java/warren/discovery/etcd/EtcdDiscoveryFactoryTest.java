package warren.discovery.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;

/** Settings of the etcd backend: no etcd needed, nothing here does I/O. */
class EtcdDiscoveryFactoryTest {

    private static final String P = "cluster_formation.etcd.";

    /** Every cluster_formation.etcd key of RabbitMQ 3.10.8's schema ($index -> N, $name -> NAME). */
    private static final List<String> RABBITMQ_3_10_KEYS = List.of("cluster_name", "endpoints", "endpoints.N", "host",
            "key_prefix", "lock_timeout", "lock_wait_time", "node_ttl", "password", "port", "scheme", "ssl_options",
            "ssl_options.cacertfile", "ssl_options.cacerts.NAME", "ssl_options.cert", "ssl_options.certfile",
            "ssl_options.ciphers.NAME", "ssl_options.crl_check", "ssl_options.depth", "ssl_options.dh",
            "ssl_options.dhfile", "ssl_options.fail_if_no_peer_cert", "ssl_options.key.DSAPrivateKey",
            "ssl_options.key.PrivateKeyInfo", "ssl_options.key.RSAPrivateKey", "ssl_options.keyfile",
            "ssl_options.log_alert", "ssl_options.password", "ssl_options.psk_identity", "ssl_options.reuse_sessions",
            "ssl_options.secure_renegotiate", "ssl_options.verify", "ssl_options.versions.NAME", "username");

    private static EtcdConfig config(Map<String, String> values) {
        return EtcdConfig.from(new DiscoverySettings("warren@host1", values));
    }

    private static DiscoveryException rejected(Map<String, String> values) {
        return assertThrows(DiscoveryException.class, () -> new EtcdDiscoveryFactory().create(
                new DiscoverySettings("warren@host1", values)));
    }

    @Test
    void theLoaderFindsTheBackendByTypeAndModuleName() {
        PeerDiscovery d = new PeerDiscoveryLoader().load(new DiscoverySettings("warren@host1",
                Map.of("cluster_formation.peer_discovery_backend", "rabbit_peer_discovery_etcd")));
        assertEquals("etcd", d.type());
        assertTrue(d.supportsRegistration());
    }

    @Test
    void everyRabbitMqKeyIsEitherReadOrRejectedWithAReason() {
        EtcdDiscoveryFactory factory = new EtcdDiscoveryFactory();
        List<String> missing = new ArrayList<>();
        for (String k : RABBITMQ_3_10_KEYS) {
            String key = P + k;
            if (!factory.configKeys().contains(key) && !factory.unsupportedKeys().containsKey(key)) {
                missing.add(key);
            }
        }
        assertEquals(List.of(), missing);
        factory.unsupportedKeys().values().forEach(why -> assertTrue(!why.isBlank()));
        assertTrue(factory.configKeys().contains("cluster_formation.proxy.http_proxy"));
    }

    @Test
    void defaultsAreRabbitMqs() {
        EtcdConfig c = config(Map.of());
        assertEquals(List.of(URI.create("http://localhost:2379")), c.endpoints);
        assertEquals("/rabbitmq/discovery/rabbitmq/clusters/default/nodes/", c.nodesPrefix());
        assertEquals("/rabbitmq/locks/rabbitmq/clusters/default/registration", c.lockKey());
        assertEquals(30, c.nodeTtlSeconds);
        assertEquals(Duration.ofSeconds(300), c.lockTimeout);
        assertEquals(Optional.empty(), c.username);
    }

    @Test
    void endpointsInNumericOrderThenTheOlderHostAndPort() {
        Map<String, String> values = new HashMap<>();
        values.put(P + "endpoints.10", "three.etcd.example.local:2579");
        values.put(P + "endpoints.2", "two.etcd.example.local");
        values.put(P + "endpoints.1", "https://one.etcd.example.local:2379");
        values.put(P + "host", "legacy.example.local");
        values.put(P + "port", "4001");
        assertEquals(List.of(URI.create("https://one.etcd.example.local:2379"),
                URI.create("http://two.etcd.example.local:2379"), URI.create("http://three.etcd.example.local:2579"),
                URI.create("http://legacy.example.local:4001")), config(values).endpoints);
    }

    @Test
    void aSingleEndpointsValueIsAListOrNone() {
        assertEquals(List.of(URI.create("http://a:1"), URI.create("http://[fd00::7]:2379")),
                config(Map.of(P + "endpoints", "a:1, [fd00::7]")).endpoints);
        assertEquals(List.of(URI.create("http://etcd:2379")),
                config(Map.of(P + "endpoints", "none", P + "host", "etcd")).endpoints);
        assertTrue(rejected(Map.of(P + "endpoints", "none", P + "endpoints.1", "a:1")).getMessage()
                .contains(P + "endpoints"));
    }

    @Test
    void schemeAndTlsChooseHttps() {
        assertEquals("https", config(Map.of(P + "scheme", "https")).endpoints.get(0).getScheme());
        assertEquals("https", config(Map.of(P + "endpoints.1", "e:2379", P + "ssl_options.verify", "verify_none"))
                .endpoints.get(0).getScheme());
        assertTrue(rejected(Map.of(P + "scheme", "ftp")).getMessage().contains(P + "scheme"));
    }

    @Test
    void lockTimeoutWinsOverLockWaitTime() {
        assertEquals(Duration.ofSeconds(60),
                config(Map.of(P + "lock_timeout", "60", P + "lock_wait_time", "90")).lockTimeout);
        assertEquals(Duration.ofSeconds(90), config(Map.of(P + "lock_wait_time", "90")).lockTimeout);
    }

    @Test
    void malformedValuesFailAtCreateNamingTheKey() {
        assertTrue(rejected(Map.of(P + "endpoints.3", "etcd:http")).getMessage().contains(P + "endpoints.3"));
        assertTrue(rejected(Map.of(P + "endpoints.1", "etcd:70000")).getMessage().contains(P + "endpoints.1"));
        assertTrue(rejected(Map.of(P + "port", "0")).getMessage().contains(P + "port"));
        assertTrue(rejected(Map.of(P + "node_ttl", "0")).getMessage().contains(P + "node_ttl"));
        assertTrue(rejected(Map.of(P + "node_ttl", "soon")).getMessage().contains(P + "node_ttl"));
        assertTrue(rejected(Map.of(P + "lock_timeout", "-1")).getMessage().contains(P + "lock_timeout"));
        assertTrue(rejected(Map.of(P + "key_prefix", "a/b")).getMessage().contains(P + "key_prefix"));
        assertTrue(rejected(Map.of(P + "password", "x")).getMessage().contains(P + "username"));
        assertTrue(rejected(Map.of(P + "ssl_options", "yes")).getMessage().contains(P + "ssl_options"));
        assertTrue(rejected(Map.of("cluster_formation.node_type", "ssd")).getMessage()
                .contains("cluster_formation.node_type"));
        assertTrue(rejected(Map.of(P + "ssl_options.cacertfile", "/nonexistent/ca.pem")).getMessage()
                .contains(P + "ssl_options.cacertfile"));
    }

    @Test
    void creatingDoesNoNetworkIoAndTakesTheRetryPolicyFromTheSettings() {
        PeerDiscovery d = new EtcdDiscoveryFactory().create(new DiscoverySettings("warren@host1", Map.of(
                P + "endpoints.1", "etcd.invalid:2379", RetryPolicy.LIMIT_KEY, "3", RetryPolicy.INTERVAL_KEY, "250")));
        assertEquals(new RetryPolicy(3, Duration.ofMillis(250)), d.retryPolicy());
    }
}
