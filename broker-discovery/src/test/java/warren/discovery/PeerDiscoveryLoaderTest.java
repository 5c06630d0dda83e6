package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import warren.discovery.classic.ClassicConfigDiscovery;
import warren.discovery.classic.ClassicConfigDiscoveryFactory;

class PeerDiscoveryLoaderTest {

    private static DiscoverySettings backend(String value) {
        return new DiscoverySettings("warren@host1", Map.of(DiscoverySettings.BACKEND_KEY, value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic_config", "rabbit_peer_discovery_classic_config", "classic",
            "config", " Classic_Config "})
    void loadsClassicConfigByEveryNameRabbitMqAccepts(String configured) {
        PeerDiscovery discovery = new PeerDiscoveryLoader().load(backend(configured));

        assertInstanceOf(ClassicConfigDiscovery.class, discovery);
        assertEquals("classic_config", discovery.type());
    }

    @Test
    void loadsClassicConfigWhenBackendIsUnset() {
        PeerDiscovery discovery = new PeerDiscoveryLoader()
                .load(new DiscoverySettings("warren@host1", Map.of()));

        assertInstanceOf(ClassicConfigDiscovery.class, discovery);
    }

    @Test
    void unknownBackendNamesTheKeyTheValueAndTheKnownTypes() {
        PeerDiscoveryLoader loader = new PeerDiscoveryLoader();

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> loader.load(backend("zookeeper")));

        assertTrue(e.getMessage().startsWith("config key 'cluster_formation.peer_discovery_backend': 'zookeeper' is"
                + " not a known peer discovery backend; known types: "), e.getMessage());
        for (String type : java.util.List.of("aws", "classic_config (also classic, config)", "consul", "dns", "etcd",
                "k8s (also kubernetes)")) {
            assertTrue(e.getMessage().contains(type), type + " missing from: " + e.getMessage());
        }
    }

    @Test
    void moduleNameOfUnknownTypeIsStillUnknown() {
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> new PeerDiscoveryLoader().load(backend("rabbit_peer_discovery_zookeeper")));

        assertTrue(e.getMessage().contains("'rabbit_peer_discovery_zookeeper'"), e.getMessage());
    }

    @Test
    void newBackendNeedsOnlyAFactory() {
        PeerDiscoveryFactory dns = new StaticFactory("dns", Set.of());
        PeerDiscoveryLoader loader = new PeerDiscoveryLoader(
                List.of(new ClassicConfigDiscoveryFactory(), dns));

        assertEquals("dns", loader.load(backend("rabbit_peer_discovery_dns")).type());
        assertEquals(Set.of("classic_config", "dns"), loader.knownTypes());
    }

    @Test
    void rejectsTwoFactoriesClaimingTheSameType() {
        List<PeerDiscoveryFactory> factories = List.of(
                new StaticFactory("dns", Set.of()), new StaticFactory("dns", Set.of()));

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> new PeerDiscoveryLoader(factories));
        assertTrue(e.getMessage().contains("'dns'"), e.getMessage());
    }

    @Test
    void rejectsAnAliasThatIsAnotherFactorysType() {
        List<PeerDiscoveryFactory> factories = List.of(
                new StaticFactory("k8s", Set.of()), new StaticFactory("kubernetes", Set.of("k8s")));

        assertThrows(DiscoveryException.class, () -> new PeerDiscoveryLoader(factories));
    }

    @Test
    void serviceLoaderFindsTheClassicConfigFactory() {
        List<String> found = ServiceLoader.load(PeerDiscoveryFactory.class).stream()
                .map(provider -> provider.type().getName())
                .toList();

        assertTrue(found.contains(ClassicConfigDiscoveryFactory.class.getName()), found.toString());
        assertTrue(new PeerDiscoveryLoader().knownTypes().contains("classic_config"));
    }

    @Test
    void backendWithoutOptionalFeaturesAnswersNotSupported() {
        PeerDiscovery discovery = new StaticFactory("dns", Set.of()).create(backend("dns"));

        assertFalse(discovery.supportsRegistration());
        assertTrue(discovery.lock(Set.of("warren@a", "warren@b")).isEmpty());
        assertEquals(RetryPolicy.DEFAULT, discovery.retryPolicy());
    }

    /** A factory for a backend that lists nobody and implements only what is mandatory. */
    private record StaticFactory(String type, Set<String> aliases) implements PeerDiscoveryFactory {

        @Override
        public PeerDiscovery create(DiscoverySettings settings) {
            String type = this.type;
            return new PeerDiscovery() {
                @Override
                public DiscoveredPeers discover() {
                    return DiscoveredPeers.none(NodeType.DISC);
                }

                @Override
                public String type() {
                    return type;
                }
            };
        }
    }
}
