package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NodeTypeTest {

    @Test
    void parsesDiscAndRam() {
        assertEquals(NodeType.DISC, NodeType.parse("disc"));
        assertEquals(NodeType.RAM, NodeType.parse("ram"));
    }

    @Test
    void parsesWithSurroundingSpaceAndAnyCase() {
        assertEquals(NodeType.RAM, NodeType.parse(" RAM "));
    }

    @Test
    void acceptsRabbitMqSpellingDiskAsDisc() {
        assertEquals(NodeType.DISC, NodeType.parse("disk"));
    }

    @Test
    void rejectsOtherValuesNamingTheKeyAndTheValue() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> NodeType.parse("memory"));

        assertTrue(e.getMessage().contains("cluster_formation.node_type"), e.getMessage());
        assertTrue(e.getMessage().contains("'memory'"), e.getMessage());
        assertTrue(e.getMessage().contains("disc or ram"), e.getMessage());
    }

    @Test
    void configValueRoundTrips() {
        for (NodeType type : NodeType.values()) {
            assertEquals(type, NodeType.parse(type.configValue()));
        }
    }
}
