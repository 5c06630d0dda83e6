package warren.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoverySettings;
import warren.discovery.classic.ClassicConfigDiscovery;

/**
 * The config values the server parsed (numbered families as lists) must reach the discovery backend as
 * the {@code prefix.N} keys it reads, in list order; otherwise every node would see no candidates and
 * boot standalone.
 */
class ClusterFormationTest {

    @Test
    void numberedFamiliesAreFlattenedInListOrder() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("cluster_formation.peer_discovery_backend", "classic_config");
        values.put("cluster_formation.classic_config.nodes", List.of("warren@b", "warren@a", "warren@c"));
        values.put("cluster_formation.discovery_retry_limit", 7L);
        Map<String, String> flat = ClusterFormation.flatten(values);
        assertEquals("warren@b", flat.get("cluster_formation.classic_config.nodes.1"));
        assertEquals("warren@c", flat.get("cluster_formation.classic_config.nodes.3"));
        assertEquals("7", flat.get("cluster_formation.discovery_retry_limit"));
        DiscoverySettings settings = new DiscoverySettings("warren@a", flat);
        assertEquals(List.of("warren@b", "warren@a", "warren@c"), settings.list(ClassicConfigDiscovery.NODES_KEY));
    }
}
