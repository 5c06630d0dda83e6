package warren.discovery.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;

class ConsulSettingsTest {

    /** Every consul key of RabbitMQ 3.10.8 (shared/reference/rabbitmq-3.10-cluster-keys.txt). */
    private static final List<String> RABBITMQ_KEYS = List.of(
            "cluster_formation.consul.acl_token",
            "cluster_formation.consul.cluster_name",
            "cluster_formation.consul.deregister_after",
            "cluster_formation.consul.domain_suffix",
            "cluster_formation.consul.host",
            "cluster_formation.consul.include_nodes_with_warnings",
            "cluster_formation.consul.lock_prefix",
            "cluster_formation.consul.lock_timeout",
            "cluster_formation.consul.lock_wait_time",
            "cluster_formation.consul.port",
            "cluster_formation.consul.scheme",
            "cluster_formation.consul.ssl_options",
            "cluster_formation.consul.ssl_options.cacertfile",
            "cluster_formation.consul.ssl_options.cacerts.$name",
            "cluster_formation.consul.ssl_options.cert",
            "cluster_formation.consul.ssl_options.certfile",
            "cluster_formation.consul.ssl_options.ciphers.$cipher",
            "cluster_formation.consul.ssl_options.crl_check",
            "cluster_formation.consul.ssl_options.depth",
            "cluster_formation.consul.ssl_options.dh",
            "cluster_formation.consul.ssl_options.dhfile",
            "cluster_formation.consul.ssl_options.fail_if_no_peer_cert",
            "cluster_formation.consul.ssl_options.key.DSAPrivateKey",
            "cluster_formation.consul.ssl_options.key.PrivateKeyInfo",
            "cluster_formation.consul.ssl_options.key.RSAPrivateKey",
            "cluster_formation.consul.ssl_options.keyfile",
            "cluster_formation.consul.ssl_options.log_alert",
            "cluster_formation.consul.ssl_options.password",
            "cluster_formation.consul.ssl_options.psk_identity",
            "cluster_formation.consul.ssl_options.reuse_sessions",
            "cluster_formation.consul.ssl_options.secure_renegotiate",
            "cluster_formation.consul.ssl_options.verify",
            "cluster_formation.consul.ssl_options.versions.$version",
            "cluster_formation.consul.svc",
            "cluster_formation.consul.svc_addr",
            "cluster_formation.consul.svc_addr_auto",
            "cluster_formation.consul.svc_addr_nic",
            "cluster_formation.consul.svc_addr_use_nodename",
            "cluster_formation.consul.svc_meta",
            "cluster_formation.consul.svc_meta.$name",
            "cluster_formation.consul.svc_port",
            "cluster_formation.consul.svc_tags",
            "cluster_formation.consul.svc_tags.$name",
            "cluster_formation.consul.svc_ttl",
            "cluster_formation.consul.use_longname",
            "cluster_formation.proxy.http_proxy",
            "cluster_formation.proxy.https_proxy",
            "cluster_formation.proxy.proxy_exclusions.$name");

    private static ConsulSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new ConsulSettings(new DiscoverySettings("warren@node1", values));
    }

    @Test
    void everyRabbitMqKeyIsReadOrRejectedWithAReason() {
        ConsulDiscoveryFactory factory = new ConsulDiscoveryFactory();
        Set<String> known = new HashSet<>(factory.configKeys());
        known.addAll(factory.unsupportedKeys().keySet());
        for (String key : RABBITMQ_KEYS) {
            String ours = key.replace("svc_tags.$name", "svc_tags.N").replaceAll("\\.\\$[a-z]+$", ".NAME");
            assertTrue(known.contains(ours), ours + " is neither read nor rejected");
        }
        assertTrue(factory.configKeys().contains("cluster_formation.consul.hosts.N"));
        factory.unsupportedKeys().values().forEach(reason -> assertTrue(reason.length() > 10, reason));
    }

    @Test
    void defaultsAreRabbitMqs() {
        ConsulSettings s = settings();
        assertEquals(List.of(new ConsulSettings.Agent("localhost", 8500)), s.agents);
        assertEquals("http", s.scheme);
        assertEquals("rabbitmq", s.service);
        assertEquals(5672, s.svcPort);
        assertEquals(30, s.ttlSeconds);
        assertEquals(300, s.lockTimeoutSeconds);
        assertEquals("rabbitmq/default/startup_lock", s.lockKey());
        assertEquals("consul", s.domainSuffix);
        assertEquals(List.of(), s.registeredTags());
        assertTrue(s.deregisterAfterSeconds.isEmpty());
    }

    @Test
    void hostsListAgentsWithOptionalPorts() {
        ConsulSettings s = settings("cluster_formation.consul.port", "8501",
                "cluster_formation.consul.hosts.1", "consul-a", "cluster_formation.consul.hosts.2", "10.0.0.2:9500",
                "cluster_formation.consul.hosts.10", "[fd00::7]:8500");
        assertEquals(List.of(new ConsulSettings.Agent("consul-a", 8501), new ConsulSettings.Agent("10.0.0.2", 9500),
                new ConsulSettings.Agent("fd00::7", 8500)), s.agents);
        assertEquals("[fd00::7]:8500", s.agents.get(2).authority());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "cluster_formation.consul.port|abc|cluster_formation.consul.port",
        "cluster_formation.consul.port|70000|cluster_formation.consul.port",
        "cluster_formation.consul.svc_port|0|cluster_formation.consul.svc_port",
        "cluster_formation.consul.scheme|ftp|cluster_formation.consul.scheme",
        "cluster_formation.consul.svc_ttl|0|cluster_formation.consul.svc_ttl",
        "cluster_formation.consul.deregister_after|soon|cluster_formation.consul.deregister_after",
        "cluster_formation.consul.svc_addr_auto|yes|cluster_formation.consul.svc_addr_auto",
        "cluster_formation.consul.include_nodes_with_warnings|1|cluster_formation.consul.include_nodes_with_warnings",
        "cluster_formation.consul.hosts.1|a:b:c|cluster_formation.consul.hosts.N",
        "cluster_formation.consul.hosts.1|consul:99999|cluster_formation.consul.hosts.N",
        "cluster_formation.consul.hosts.x|consul|cluster_formation.consul.hosts.x",
        "cluster_formation.consul.svc_tags.a|qa|cluster_formation.consul.svc_tags.a",
        "cluster_formation.consul.svc_tags|qa|cluster_formation.consul.svc_tags",
        "cluster_formation.consul.svc_meta.bad key|x|cluster_formation.consul.svc_meta.bad key",
        "cluster_formation.consul.svc_meta.consul-x|x|cluster_formation.consul.svc_meta.consul-x",
        "cluster_formation.consul.svc_meta.warren-node|x|cluster_formation.consul.svc_meta.warren-node",
        "cluster_formation.consul.svc|rabbit/mq|cluster_formation.consul.svc",
        "cluster_formation.consul.lock_timeout|-5|cluster_formation.consul.lock_timeout",
        "cluster_formation.node_type|disk2|cluster_formation.node_type",
        "cluster_formation.discovery_retry_limit|0|cluster_formation.discovery_retry_limit",
    })
    void malformedValuesNameTheirKey(String key, String value, String named) {
        Map<String, String> values = new HashMap<>(Map.of(key, value));
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> new ConsulDiscoveryFactory().create(new DiscoverySettings("warren@node1", values)));
        assertTrue(e.getMessage().contains("'" + named + "'"), e.getMessage());
    }

    @Test
    void hostAndHostsTogetherAreAmbiguous() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> settings(
                "cluster_formation.consul.host", "a", "cluster_formation.consul.hosts.1", "b"));
        assertTrue(e.getMessage().contains("'cluster_formation.consul.host' and 'cluster_formation.consul.hosts.N'"),
                e.getMessage());
    }

    @Test
    void lockTimeoutAndItsAliasMustAgree() {
        assertEquals(60, settings("cluster_formation.consul.lock_wait_time", "60").lockTimeoutSeconds);
        assertEquals(60, settings("cluster_formation.consul.lock_timeout", "60",
                "cluster_formation.consul.lock_wait_time", "60").lockTimeoutSeconds);
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> settings(
                "cluster_formation.consul.lock_timeout", "60", "cluster_formation.consul.lock_wait_time", "30"));
        assertTrue(e.getMessage().contains("lock_wait_time"), e.getMessage());
    }

    @Test
    void anUnknownInterfaceIsReportedWithItsKeyWhenRegistering() {
        ConsulDiscovery d = new ConsulDiscovery(new DiscoverySettings("warren@node1",
                Map.of("cluster_formation.consul.svc_addr_nic", "nosuchnic0")));
        DiscoveryException e = assertThrows(DiscoveryException.class, d::serviceAddress);
        assertTrue(e.getMessage().contains("'cluster_formation.consul.svc_addr_nic'"), e.getMessage());
    }

    @Test
    void theLoopbackInterfaceGivesItsIpv4Address() throws Exception {
        String lo = java.net.NetworkInterface.networkInterfaces().filter(n -> {
            try {
                return n.isLoopback();
            } catch (java.net.SocketException e) {
                return false;
            }
        }).findFirst().orElseThrow().getName();
        assertEquals("127.0.0.1", ConsulDiscovery.nicAddress(lo));
    }

    @Test
    void serviceAddressFollowsRabbitMqsPrecedenceThenTheListenerAddress() {
        assertEquals("10.0.0.9", address(Map.of("cluster_formation.consul.svc_addr", "10.0.0.9"), "10.0.0.1"));
        assertEquals("node1.example.com", address(Map.of("cluster_formation.consul.svc_addr_auto", "true",
                "cluster_formation.consul.svc_addr_use_nodename", "true",
                "cluster_formation.consul.svc_addr", "ignored"), "10.0.0.1"));
        assertEquals("10.0.0.1", address(Map.of(), "10.0.0.1"));
        assertEquals("(agent's)", address(Map.of(), null));
    }

    private static String address(Map<String, String> values, String listener) {
        return new ConsulDiscovery(new DiscoverySettings("warren@node1.example.com", values, listener, 0))
                .serviceAddress().orElse("(agent's)");
    }

    @Test
    void theLoaderFindsConsulByTypeAndModuleNameWithoutNetworkIo() {
        for (String type : List.of("consul", "rabbit_peer_discovery_consul")) {
            PeerDiscovery d = new PeerDiscoveryLoader().load(new DiscoverySettings("warren@node1", Map.of(
                    DiscoverySettings.BACKEND_KEY, type, "cluster_formation.consul.host", "consul.invalid")));
            assertInstanceOf(ConsulDiscovery.class, d);
            assertEquals("consul", d.type());
            assertTrue(d.supportsRegistration());
        }
    }
}
