package warren.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscoveryLoader;

/** Settings are checked in create(), without I/O, and every error names its key. */
class DnsSettingsTest {

    private static DnsSettings settings(Map<String, String> values) {
        return DnsSettings.from(new DiscoverySettings("warren@node1", values));
    }

    private static Map<String, String> with(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put(DiscoverySettings.BACKEND_KEY, "dns");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return values;
    }

    private static DiscoveryException rejected(Map<String, String> values) {
        return assertThrows(DiscoveryException.class, () -> new PeerDiscoveryLoader()
                .load(new DiscoverySettings("warren@node1", values)));
    }

    @Test
    void defaultsAreARecordsAndTheSystemResolver() {
        DnsSettings s = settings(with("cluster_formation.dns.hostname", "seed.example.com"));

        assertEquals("a", s.recordType());
        assertFalse(s.srv());
        assertEquals(Optional.empty(), s.server());
        assertFalse(s.name().isAbsolute(), "the system search path applies to a name without a dot");
    }

    @Test
    void aConfiguredServerMakesTheNameAbsolute() {
        DnsSettings s = settings(with("cluster_formation.dns.hostname", "seed",
                "cluster_formation.dns.server", "10.0.0.2"));

        assertTrue(s.name().isAbsolute());
        assertEquals("seed.", s.name().toString());
    }

    @Test
    void missingHostnameNamesTheKey() {
        DiscoveryException e = rejected(with());

        assertTrue(e.getMessage().contains("cluster_formation.dns.hostname"), e.getMessage());
    }

    @Test
    void malformedHostnameNamesTheKey() {
        DiscoveryException e = rejected(with("cluster_formation.dns.hostname", "seed warren.test"));

        assertTrue(e.getMessage().contains("cluster_formation.dns.hostname"), e.getMessage());
        assertTrue(e.getMessage().contains("'seed warren.test'"), e.getMessage());
    }

    @Test
    void badRecordTypeNamesTheKeyAndTheChoices() {
        DiscoveryException e = rejected(with("cluster_formation.dns.hostname", "seed.warren.test",
                "cluster_formation.dns.record_type", "aaaa"));

        assertTrue(e.getMessage().contains("cluster_formation.dns.record_type"), e.getMessage());
        assertTrue(e.getMessage().contains("a, srv"), e.getMessage());
    }

    @Test
    void serverForms() {
        assertEquals(new DnsSettings.Server("10.0.0.2", 53), DnsSettings.parseServer("10.0.0.2"));
        assertEquals(new DnsSettings.Server("10.0.0.2", 5353),
                DnsSettings.parseServer("10.0.0.2:5353"));
        assertEquals(new DnsSettings.Server("ns1.example.com", 53),
                DnsSettings.parseServer("ns1.example.com"));
        assertEquals(new DnsSettings.Server("ns1.example.com", 1053),
                DnsSettings.parseServer("ns1.example.com:1053"));
        assertEquals(new DnsSettings.Server("fd00::53", 53), DnsSettings.parseServer("fd00::53"));
        assertEquals(new DnsSettings.Server("fd00::53", 53), DnsSettings.parseServer("[fd00::53]"));
        assertEquals(new DnsSettings.Server("fd00::53", 5353),
                DnsSettings.parseServer("[fd00::53]:5353"));
        assertEquals("[fd00::53]:5353", DnsSettings.parseServer("[fd00::53]:5353").toString());
    }

    @Test
    void badServersNameTheKey() {
        for (String bad : List.of("10.0.0.2:", "10.0.0.2:0", "10.0.0.2:65536", "10.0.0.2:dns",
                "[fd00::53", "[fd00::53]5353", "[nothex]:53", "fd00::zz", "ns 1:53", ":53",
                "[1.2.3.4]:53")) {
            DiscoveryException e = rejected(with("cluster_formation.dns.hostname", "seed.warren.test",
                    "cluster_formation.dns.server", bad));

            assertTrue(e.getMessage().contains("cluster_formation.dns.server"), bad + ": "
                    + e.getMessage());
            assertTrue(e.getMessage().contains("'" + bad + "'"), bad + ": " + e.getMessage());
        }
    }

    @Test
    void badNodeTypeAndRetrySettingsNameTheirKeys() {
        DiscoveryException type = rejected(with("cluster_formation.dns.hostname", "seed.warren.test",
                "cluster_formation.node_type", "disk-ish"));
        assertTrue(type.getMessage().contains("cluster_formation.node_type"), type.getMessage());

        DiscoveryException retry = rejected(with("cluster_formation.dns.hostname", "seed.warren.test",
                "cluster_formation.discovery_retry_limit", "0"));
        assertTrue(retry.getMessage().contains("cluster_formation.discovery_retry_limit"),
                retry.getMessage());
    }

    @Test
    void factoryListsItsKeysAndRabbitMqHasNoneWarrenRejects() {
        DnsDiscoveryFactory factory = new DnsDiscoveryFactory();

        assertEquals(List.of("cluster_formation.dns.hostname", "cluster_formation.dns.record_type",
                "cluster_formation.dns.server"), factory.configKeys());
        assertTrue(factory.unsupportedKeys().isEmpty());
        assertEquals("dns", factory.type());
    }

    @Test
    void ipv6AddressesAreWrittenInShortForm() throws Exception {
        assertEquals("fd00::11", DnsDiscovery.literal(InetAddress.getByName("fd00:0:0:0:0:0:0:11")));
        assertEquals("::1", DnsDiscovery.literal(InetAddress.getByName("::1")));
        assertEquals("2001:db8::1:0:0:1",
                DnsDiscovery.literal(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1",
                DnsDiscovery.literal(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("fd00:1::", DnsDiscovery.literal(InetAddress.getByName("fd00:1:0:0:0:0:0:0")));
        assertEquals("10.0.0.7", DnsDiscovery.literal(InetAddress.getByName("10.0.0.7")));
    }
}
