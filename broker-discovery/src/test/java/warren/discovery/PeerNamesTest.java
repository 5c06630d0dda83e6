package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PeerNamesTest {

    @Test
    void shortNamedNodeKeepsTheFirstLabelOfADiscoveredHost() {
        assertEquals("warren@node2", PeerNames.peerName("warren@node1", "Node2.Example.COM."));
    }

    @Test
    void longNamedNodeKeepsTheWholeHostWithoutTheTrailingDot() {
        assertEquals("warren@node2.example.com", PeerNames.peerName("warren@node1.example.com", "node2.example.com."));
    }

    @Test
    void ipAddressesStayWholeWhateverTheLocalNaming() {
        assertEquals("rabbit@10.0.0.7", PeerNames.peerName("rabbit@host1", "10.0.0.7"));
        assertEquals("rabbit@fd00::7", PeerNames.peerName("rabbit@10.0.0.5", "fd00::7"));
        assertTrue(PeerNames.usesLongNames("rabbit@10.0.0.5"));
    }

    @Test
    void prefixComesFromTheLocalNode() {
        assertEquals("custom@peer", PeerNames.peerName("custom@self", "peer"));
    }

    @Test
    void ipLiteralDetection() {
        assertTrue(PeerNames.isIpLiteral("127.0.0.1"));
        assertTrue(PeerNames.isIpLiteral("::1"));
        assertFalse(PeerNames.isIpLiteral("256.1.1.1"));
        assertFalse(PeerNames.isIpLiteral("1.2.3"));
        assertFalse(PeerNames.isIpLiteral("host1.example"));
    }

    @Test
    void rejectsNamesWithoutPrefixAndBlankHosts() {
        assertThrows(IllegalArgumentException.class, () -> PeerNames.peerName("nohost", "h"));
        assertThrows(IllegalArgumentException.class, () -> PeerNames.peerName("warren@a", " . "));
    }
}
