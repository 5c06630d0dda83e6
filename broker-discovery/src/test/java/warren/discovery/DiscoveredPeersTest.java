package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiscoveredPeersTest {

    @Test
    void keepsBackendOrderAndDropsDuplicates() {
        DiscoveredPeers peers = new DiscoveredPeers(
                List.of("warren@b", "warren@a", "warren@b"), NodeType.DISC);

        assertEquals(List.of("warren@b", "warren@a"), peers.nodes());
    }

    @Test
    void isNotChangedByLaterChangesToTheInputList() {
        List<String> input = new ArrayList<>(List.of("warren@a"));
        DiscoveredPeers peers = new DiscoveredPeers(input, NodeType.RAM);
        input.add("warren@b");

        assertEquals(List.of("warren@a"), peers.nodes());
        assertThrows(UnsupportedOperationException.class, () -> peers.nodes().add("warren@c"));
    }

    @Test
    void rejectsBlankNodeName() {
        assertThrows(IllegalArgumentException.class,
                () -> new DiscoveredPeers(List.of("warren@a", " "), NodeType.DISC));
    }

    @Test
    void noneIsEmpty() {
        assertTrue(DiscoveredPeers.none(NodeType.DISC).isEmpty());
    }
}
