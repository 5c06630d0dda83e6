package warren.discovery.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.RetryPolicy;

class ClassicConfigDiscoveryTest {

    private static final String NODES = "cluster_formation.classic_config.nodes";

    private static ClassicConfigDiscovery discovery(String self, Map<String, String> values) {
        return new ClassicConfigDiscovery(new DiscoverySettings(self, values));
    }

    private static Map<String, String> threeNodes() {
        Map<String, String> values = new HashMap<>();
        values.put(NODES + ".10", "warren@host3");
        values.put(NODES + ".1", "warren@host1");
        values.put(NODES + ".2", "warren@host2");
        return values;
    }

    @Test
    void returnsConfiguredNodesInNumericOrderAsDiscNodesByDefault() {
        DiscoveredPeers peers = discovery("warren@host1", threeNodes()).discover();

        assertEquals(List.of("warren@host1", "warren@host2", "warren@host3"), peers.nodes());
        assertEquals(NodeType.DISC, peers.nodeType());
    }

    @Test
    void joinsAsTheConfiguredNodeType() {
        Map<String, String> values = threeNodes();
        values.put("cluster_formation.node_type", "ram");

        assertEquals(NodeType.RAM, discovery("warren@host1", values).discover().nodeType());
    }

    @Test
    void malformedNodeTypeFailsWhenTheBackendIsCreated() {
        Map<String, String> values = threeNodes();
        values.put("cluster_formation.node_type", "ssd");

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> discovery("warren@host1", values));
        assertTrue(e.getMessage().contains("cluster_formation.node_type"), e.getMessage());
    }

    @Test
    void returnsTheListEvenWhenTheLocalNodeIsNotInIt() {
        ClassicConfigDiscovery discovery = discovery("warren@elsewhere", threeNodes());

        assertEquals(3, discovery.discover().nodes().size());
        assertEquals(3, discovery.discover().nodes().size());
    }

    @Test
    void noConfiguredNodesMeansBootStandalone() {
        DiscoveredPeers peers = discovery("warren@host1", Map.of()).discover();

        assertTrue(peers.isEmpty());
        assertEquals(NodeType.DISC, peers.nodeType());
    }

    @Test
    void hasNoRegistrationAndNoLock() {
        ClassicConfigDiscovery discovery = discovery("warren@host1", threeNodes());

        assertFalse(discovery.supportsRegistration());
        discovery.register();
        discovery.unregister();
        assertTrue(discovery.lock(Set.of("warren@host1", "warren@host2")).isEmpty());
        assertEquals("classic_config", discovery.type());
    }

    @Test
    void retriesAsConfigured() {
        Map<String, String> values = threeNodes();
        values.put("cluster_formation.discovery_retry_limit", "3");
        values.put("cluster_formation.discovery_retry_interval", "250");

        assertEquals(new RetryPolicy(3, Duration.ofMillis(250)),
                discovery("warren@host1", values).retryPolicy());
        assertEquals(RetryPolicy.DEFAULT, discovery("warren@host1", threeNodes()).retryPolicy());
    }
}
