package warren.discovery.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.FormationOrder;
import warren.discovery.NodeType;
import warren.discovery.PeerDiscovery;
import warren.discovery.RetryPolicy;

/** RabbitMQ 4.1's StatefulSet mode: no API, the pod with ordinal {@code ordinal_start} seeds. */
class StatefulSetDiscoveryTest {

    private static final String DOMAIN = ".rabbitmq-headless.prod.svc.cluster.local";

    private static PeerDiscovery create(String localNode, String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put(DiscoverySettings.BACKEND_KEY, "k8s");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new KubernetesDiscoveryFactory().create(new DiscoverySettings(localNode, values));
    }

    private static PeerDiscovery statefulSet(String localNode, String... keyValues) {
        String[] withMode = new String[keyValues.length + 2];
        withMode[0] = KubernetesDiscoveryFactory.MODE_KEY;
        withMode[1] = "statefulset";
        System.arraycopy(keyValues, 0, withMode, 2, keyValues.length);
        return create(localNode, withMode);
    }

    @Test
    void everyPodDiscoversOrdinalZeroInItsOwnDomainAndOnlyItMayForm() {
        PeerDiscovery pod2 = statefulSet("warren@rabbitmq-2" + DOMAIN);

        DiscoveredPeers peers = pod2.discover();

        String seed = "warren@rabbitmq-0" + DOMAIN;
        assertEquals(List.of(seed), peers.nodes());
        assertTrue(peers.addresses().isEmpty(), "the seed is contacted at its DNS name");
        assertEquals(Optional.of(seed), pod2.designatedSeed(peers));
        assertFalse(FormationOrder.mayFormNewCluster("warren@rabbitmq-2" + DOMAIN, peers.nodes()));
    }

    @Test
    void theSeedDiscoversItselfAndSoForms() {
        String self = "warren@rabbitmq-0" + DOMAIN;
        PeerDiscovery pod0 = statefulSet(self);

        DiscoveredPeers peers = pod0.discover();

        assertEquals(List.of(self), peers.nodes());
        assertEquals(Optional.of(self), pod0.designatedSeed(peers));
        assertTrue(FormationOrder.mayFormNewCluster(self, peers.nodes()));
    }

    @Test
    void shortNamesAndHyphenatedStatefulSetNames() {
        assertEquals(List.of("warren@my-rabbit-cluster-0"), statefulSet("warren@my-rabbit-cluster-12").discover().nodes());
    }

    @Test
    void ordinalStartMovesTheSeed() {
        PeerDiscovery pod = create("warren@rabbitmq-4" + DOMAIN, KubernetesDiscoveryFactory.ORDINAL_START_KEY, "3");

        assertInstanceOf(StatefulSetDiscovery.class, pod, "ordinal_start alone selects StatefulSet mode");
        assertEquals(List.of("warren@rabbitmq-3" + DOMAIN), pod.discover().nodes());
    }

    @Test
    void aPodBelowOrdinalStartIsAConfigurationError() {
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> create("warren@rabbitmq-0" + DOMAIN, KubernetesDiscoveryFactory.ORDINAL_START_KEY, "1"));

        assertTrue(e.getMessage().contains("'" + KubernetesDiscoveryFactory.ORDINAL_START_KEY + "'"), e.getMessage());
    }

    @Test
    void aNegativeOrdinalStartNamesTheKey() {
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> create("warren@rabbitmq-0", KubernetesDiscoveryFactory.ORDINAL_START_KEY, "-1"));

        assertTrue(e.getMessage().contains("'" + KubernetesDiscoveryFactory.ORDINAL_START_KEY + "'"), e.getMessage());
    }

    @Test
    void seedNodeIsUsedAsGivenAndSelectsStatefulSetMode() {
        PeerDiscovery pod = create("warren@anything", KubernetesDiscoveryFactory.SEED_NODE_KEY, "warren@seed.example");

        DiscoveredPeers peers = pod.discover();

        assertEquals(List.of("warren@seed.example"), peers.nodes());
        assertEquals(Optional.of("warren@seed.example"), pod.designatedSeed(peers));
    }

    @Test
    void aSeedNodeWithoutPrefixAtHostNamesTheKey() {
        for (String bad : List.of("seed.example", "@seed", "warren@", "a@b@c")) {
            DiscoveryException e = assertThrows(DiscoveryException.class,
                    () -> create("warren@rabbitmq-1", KubernetesDiscoveryFactory.SEED_NODE_KEY, bad), bad);
            assertTrue(e.getMessage().contains("'" + KubernetesDiscoveryFactory.SEED_NODE_KEY + "'"), e.getMessage());
        }
    }

    @Test
    void aNodeThatIsNotAStatefulSetPodIsToldToUseSeedNode() {
        for (String node : List.of("warren@broker", "warren@10.0.0.5", "warren@rabbitmq-x.svc")) {
            DiscoveryException e = assertThrows(DiscoveryException.class, () -> statefulSet(node), node);
            assertTrue(e.getMessage().contains(node) && e.getMessage().contains(KubernetesDiscoveryFactory.SEED_NODE_KEY),
                    e.getMessage());
        }
    }

    @Test
    void apiKeysAreIgnoredWithAWarningAndNeedNoFiles() {
        StatefulSetDiscovery pod = assertInstanceOf(StatefulSetDiscovery.class, statefulSet("warren@rabbitmq-1",
                KubernetesDiscoveryFactory.TOKEN_PATH_KEY, "/nonexistent/token",
                KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY, "hostname"));

        assertEquals(1, pod.warnings().size());
        assertTrue(pod.warnings().get(0).contains(KubernetesDiscoveryFactory.TOKEN_PATH_KEY)
                && pod.warnings().get(0).contains(KubernetesDiscoveryFactory.ADDRESS_TYPE_KEY), pod.warnings().get(0));
        assertTrue(assertInstanceOf(StatefulSetDiscovery.class, statefulSet("warren@rabbitmq-1")).warnings().isEmpty());
    }

    @Test
    void nodeTypeRetryPolicyAndNoRegistration() {
        PeerDiscovery pod = statefulSet("warren@rabbitmq-1", NodeType.KEY, "ram", RetryPolicy.LIMIT_KEY, "100",
                RetryPolicy.INTERVAL_KEY, "1000");

        assertEquals(NodeType.RAM, pod.discover().nodeType());
        assertEquals(new RetryPolicy(100, Duration.ofSeconds(1)), pod.retryPolicy());
        assertFalse(pod.supportsRegistration());
        assertTrue(pod.lock(java.util.Set.of("warren@rabbitmq-1")).isEmpty());
    }
}
