package warren.discovery.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;
import warren.discovery.k8s.KubernetesApiDouble.Address;

/** The Endpoints API mode against {@link KubernetesApiDouble} over verified HTTPS on loopback. */
class KubernetesApiDiscoveryTest {

    private static final String DOMAIN = ".rabbitmq-headless.default.svc.cluster.local";
    private static KubernetesApiDouble api;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startApi() {
        api = KubernetesApiDouble.start();
    }

    @AfterAll
    static void stopApi() {
        if (api != null) {
            api.close();
        }
    }

    @BeforeEach
    void reset() {
        api.failWith(0);
        api.delay(Duration.ZERO);
        api.rotateToken("token-initial");
        api.setEndpoints("rabbitmq",
                List.of(Address.pod("10.1.0.10", "rabbitmq-0"), Address.pod("10.1.0.11", "rabbitmq-1")),
                List.of(Address.pod("10.1.0.12", "rabbitmq-2")));
    }

    private static DiscoverySettings settings(String localNode, String... keyValues) {
        Map<String, String> values = new HashMap<>(api.settings());
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new DiscoverySettings(localNode, values);
    }

    private static KubernetesApiDiscovery create(String localNode, String... keyValues) {
        return assertInstanceOf(KubernetesApiDiscovery.class,
                new KubernetesDiscoveryFactory().create(settings(localNode, keyValues)));
    }

    @Test
    void ipAddressTypeNamesPeersByPodIpIncludingNotReadyOnesAndSendsTheToken() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10");
        int before = api.requests().size();

        DiscoveredPeers peers = k8s.discover();

        assertEquals(List.of("warren@10.1.0.10", "warren@10.1.0.11", "warren@10.1.0.12"), peers.nodes());
        assertEquals("10.1.0.12", peers.address("warren@10.1.0.12").orElseThrow());
        KubernetesApiDouble.Request request = api.requests().get(before);
        assertEquals("GET", request.method());
        assertEquals("/api/v1/namespaces/default/endpoints/rabbitmq", request.path());
        assertEquals("Bearer token-initial", request.authorization());
    }

    @Test
    void ipAddressTypeWarnsThatNodeNamesChangeWhenPodsAreRecreated() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10");

        assertEquals(1, k8s.warnings().size(), k8s.warnings().toString());
        String warning = k8s.warnings().get(0);
        assertTrue(warning.contains("address_type = ip") && warning.contains("recreated")
                && warning.contains("address_type = hostname") && warning.contains("headless service"), warning);
        assertTrue(create("warren@rabbitmq-0" + DOMAIN, KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY, "hostname",
                KubernetesDiscoveryFactory.HOSTNAME_SUFFIX_KEY, DOMAIN).warnings().isEmpty());
        List<String> noDot = create("warren@rabbitmq-0", KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY, "hostname",
                KubernetesDiscoveryFactory.HOSTNAME_SUFFIX_KEY, "svc.example").warnings();
        assertTrue(noDot.size() == 1 && noDot.get(0).contains("rabbitmq-0svc.example"), noDot.toString());
    }

    @Test
    void hostnameAddressTypeAppendsTheSuffixAndKeepsThePodIpAsAddress() {
        KubernetesApiDiscovery k8s = create("warren@rabbitmq-1" + DOMAIN,
                KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY, "hostname",
                KubernetesDiscoveryFactory.HOSTNAME_SUFFIX_KEY, DOMAIN);

        DiscoveredPeers peers = k8s.discover();

        assertEquals(List.of("warren@rabbitmq-0" + DOMAIN, "warren@rabbitmq-1" + DOMAIN, "warren@rabbitmq-2" + DOMAIN),
                peers.nodes());
        assertEquals("10.1.0.11", peers.address("warren@rabbitmq-1" + DOMAIN).orElseThrow());
    }

    @Test
    void hostnameAddressTypeWithAShortLocalNameKeepsTheFirstLabel() {
        KubernetesApiDiscovery k8s = create("warren@rabbitmq-0", KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY,
                "hostname", KubernetesDiscoveryFactory.HOSTNAME_SUFFIX_KEY, DOMAIN);

        assertEquals(List.of("warren@rabbitmq-0", "warren@rabbitmq-1", "warren@rabbitmq-2"), k8s.discover().nodes());
    }

    @Test
    void hostnameAddressTypeSkipsEndpointsWithoutAHostname() {
        api.setEndpoints("mixed", List.of(Address.pod("10.1.0.10", "rabbitmq-0"),
                new Address("10.1.0.99", null, "stray-7f9c")), List.of());
        KubernetesApiDiscovery k8s = create("warren@rabbitmq-0", KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY,
                "hostname", KubernetesDiscoveryFactory.SERVICE_NAME_KEY, "mixed");

        assertEquals(List.of("warren@rabbitmq-0"), k8s.discover().nodes());
    }

    @Test
    void aServiceWithoutPodsMeansNoPeers() {
        api.setEndpoints("empty", List.of(), List.of());
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.SERVICE_NAME_KEY, "empty");

        assertTrue(k8s.discover().isEmpty());
    }

    @Test
    void theTokenIsReadAgainAtEveryDiscoverySoRotationIsPickedUp() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10");
        k8s.discover();

        api.rotateToken("token-rotated");
        k8s.discover();

        List<KubernetesApiDouble.Request> requests = api.requests();
        assertEquals("Bearer token-rotated", requests.get(requests.size() - 1).authorization());
    }

    @Test
    void aRejectedTokenIs401WithTheApiMessageAndTheTokenPathKey() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10");
        api.acceptToken("a-token-the-node-does-not-have");

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        assertTrue(e.getMessage().contains("answered 401 Unauthorized: Unauthorized"), e.getMessage());
        assertTrue(e.getMessage().contains(KubernetesDiscoveryFactory.TOKEN_PATH_KEY), e.getMessage());
    }

    @Test
    void anotherNamespaceIs403WithTheApiMessageAndAnRbacHint() throws IOException {
        Path namespace = Files.writeString(tmp.resolve("namespace"), "payments\n");
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.NAMESPACE_PATH_KEY,
                namespace.toString());

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        assertTrue(e.getMessage().contains("/api/v1/namespaces/payments/endpoints/rabbitmq answered 403 Forbidden:"
                + " endpoints \"rabbitmq\" is forbidden"), e.getMessage());
        assertTrue(e.getMessage().contains("RBAC"), e.getMessage());
    }

    @Test
    void anUnknownServiceIs404WithTheApiMessageAndTheServiceNameKey() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.SERVICE_NAME_KEY, "nope");

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        assertTrue(e.getMessage().contains("answered 404 NotFound: endpoints \"nope\" not found"), e.getMessage());
        assertTrue(e.getMessage().contains(KubernetesDiscoveryFactory.SERVICE_NAME_KEY), e.getMessage());
    }

    @Test
    void aServerErrorIsADiscoveryExceptionWithTheApiMessage() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10");
        api.failWith(500);

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        assertTrue(e.getMessage().contains("answered 500 InternalError: Internal error occurred"), e.getMessage());
    }

    @Test
    void aSlowApiServerTimesOutWithinTheRequestTimeout() {
        KubernetesApiDiscovery k8s = new KubernetesApiDiscovery(settings("warren@10.1.0.10"), Duration.ofMillis(300));
        api.delay(Duration.ofSeconds(3));
        long start = System.nanoTime();

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2500, "took " + millis + " ms");
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    @Test
    void theServerCertificateIsVerifiedAgainstCertPath() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.CERT_PATH_KEY,
                api.otherCaCertFile().toString());

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover);

        assertTrue(e.getMessage().contains("could not be verified (trusted CA: " + api.otherCaCertFile()
                + " (" + KubernetesDiscoveryFactory.CERT_PATH_KEY + "))"), e.getMessage());
    }

    @Test
    void sslOptionsCacertfileTakesPrecedenceOverCertPath() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.CERT_PATH_KEY,
                api.otherCaCertFile().toString(), "cluster_formation.k8s.ssl_options.cacertfile",
                api.caCertFile().toString());

        assertEquals(3, k8s.discover().nodes().size());
    }

    @Test
    void verifyNoneNeedsNoCa() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", KubernetesDiscoveryFactory.CERT_PATH_KEY,
                tmp.resolve("absent.crt").toString(), "cluster_formation.k8s.ssl_options.verify", "verify_none");

        assertEquals(3, k8s.discover().nodes().size());
    }

    @Test
    void plainHttpNeedsNoCaFile() {
        KubernetesApiDiscovery k8s = new KubernetesApiDiscovery(settings("warren@10.1.0.10",
                KubernetesDiscoveryFactory.SCHEME_KEY, "http",
                KubernetesDiscoveryFactory.CERT_PATH_KEY, tmp.resolve("absent.crt").toString()), Duration.ofSeconds(1));

        DiscoveryException e = assertThrows(DiscoveryException.class, k8s::discover, "the double speaks TLS only");
        assertTrue(e.getMessage().startsWith("k8s: GET http://127.0.0.1:" + api.port() + "/api/v1/"), e.getMessage());
    }

    @Test
    void ipv6PodAddressesAreKeptWhole() {
        api.setEndpoints("v6", List.of(Address.pod("fd00:10::7", "rabbitmq-0")), List.of());
        KubernetesApiDiscovery k8s = create("warren@rabbitmq-0", KubernetesDiscoveryFactory.SERVICE_NAME_KEY, "v6");

        DiscoveredPeers peers = k8s.discover();

        assertEquals(List.of("warren@fd00:10::7"), peers.nodes());
        assertEquals("fd00:10::7", peers.address("warren@fd00:10::7").orElseThrow());
    }

    @Test
    void malformedSettingsStopCreationNamingTheKey() {
        String missing = tmp.resolve("missing").toString();
        Map<String, String> cases = Map.of(
                KubernetesDiscoveryFactory.PORT_KEY, "https",
                KubernetesDiscoveryFactory.SCHEME_KEY, "ftp",
                KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY, "dns",
                KubernetesDiscoveryFactory.SERVICE_NAME_KEY, "Rabbit_MQ",
                KubernetesDiscoveryFactory.TOKEN_PATH_KEY, missing,
                KubernetesDiscoveryFactory.NAMESPACE_PATH_KEY, missing,
                KubernetesDiscoveryFactory.CERT_PATH_KEY, missing,
                KubernetesDiscoveryFactory.MODE_KEY, "endpoints");
        cases.forEach((key, value) -> {
            DiscoveryException e = assertThrows(DiscoveryException.class, () -> create("warren@10.1.0.10", key, value),
                    key);
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        });
        DiscoveryException port = assertThrows(DiscoveryException.class,
                () -> create("warren@10.1.0.10", KubernetesDiscoveryFactory.PORT_KEY, "65536"));
        assertTrue(port.getMessage().contains(KubernetesDiscoveryFactory.PORT_KEY), port.getMessage());
    }

    @Test
    void apiModeWithAStatefulSetKeyIsAConfigurationError() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> create("warren@10.1.0.10",
                KubernetesDiscoveryFactory.MODE_KEY, "api", KubernetesDiscoveryFactory.ORDINAL_START_KEY, "1"));

        assertTrue(e.getMessage().contains(KubernetesDiscoveryFactory.MODE_KEY)
                && e.getMessage().contains(KubernetesDiscoveryFactory.ORDINAL_START_KEY), e.getMessage());
    }

    @Test
    void theLoaderFindsTheBackendByTypeAliasAndModuleName() {
        for (String name : List.of("k8s", "kubernetes", "rabbit_peer_discovery_k8s", "rabbitmq_peer_discovery_k8s")) {
            PeerDiscovery backend = new PeerDiscoveryLoader()
                    .load(settings("warren@10.1.0.10", DiscoverySettings.BACKEND_KEY, name));
            assertEquals("k8s", backend.type());
            assertInstanceOf(KubernetesApiDiscovery.class, backend);
        }
    }

    @Test
    void noRegistrationNoLockAndTheConfiguredRetryPolicy() {
        KubernetesApiDiscovery k8s = create("warren@10.1.0.10", RetryPolicy.LIMIT_KEY, "30",
                RetryPolicy.INTERVAL_KEY, "2000");

        assertFalse(k8s.supportsRegistration());
        assertTrue(k8s.lock(java.util.Set.of("warren@10.1.0.10")).isEmpty());
        assertTrue(k8s.designatedSeed(k8s.discover()).isEmpty());
        assertEquals(new RetryPolicy(30, Duration.ofMillis(2000)), k8s.retryPolicy());
    }

    @Test
    void everyRabbitMq310KeyIsDeclared() {
        List<String> keys = new KubernetesDiscoveryFactory().configKeys();
        for (String k : List.of("address_type", "cert_path", "host", "hostname_suffix", "namespace_path", "port",
                "scheme", "service_name", "token_path", "ordinal_start", "seed_node", "discovery_mode",
                "ssl_options.cacertfile")) {
            assertTrue(keys.contains("cluster_formation.k8s." + k), k);
        }
        assertTrue(new KubernetesDiscoveryFactory().unsupportedKeys().containsKey("cluster_formation.k8s.tls.cacertfile"));
    }
}
