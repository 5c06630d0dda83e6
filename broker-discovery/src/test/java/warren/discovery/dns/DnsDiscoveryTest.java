package warren.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.ResolverConfig;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;

/** The dns backend against a real dnsmasq on 127.0.0.1 that alone knows *.warren.test. */
class DnsDiscoveryTest {

    private static final String SHORT = "warren@node1";
    private static final String LONG = "warren@node1.warren.test";

    private static Dnsmasq dns;

    @BeforeAll
    static void startDns() {
        dns = Dnsmasq.builder()
                // nodes: A and/or AAAA with their PTR records
                .hostRecord("node1.warren.test", "127.0.0.11", "fd00::11")
                .hostRecord("node2.warren.test", "127.0.0.12")
                .hostRecord("node3.warren.test", "fd00::13")
                // seed names: A/AAAA only, no PTR
                .address("seed.warren.test", "127.0.0.11")
                .address("seed.warren.test", "127.0.0.12")
                .address("mixed.warren.test", "127.0.0.12")
                .address("mixed.warren.test", "fd00::13")
                .address("v6.warren.test", "fd00::13")
                .address("v6.warren.test", "fd00::11")
                .address("dup.warren.test", "127.0.0.11")
                .address("dup.warren.test", "fd00::11")
                .address("noptr.warren.test", "127.0.0.99")
                .address("noptr.warren.test", "127.0.0.12")
                .cname("alias.warren.test", "node2.warren.test")
                // SRV: port = the peer's cluster port, 0 = default
                .srv("_warren._tcp.warren.test", "node2.warren.test", 0, 1, 5)
                .srv("_warren._tcp.warren.test", "node1.warren.test", 25672, 0, 10)
                .srv("_warren._tcp.warren.test", "node3.warren.test", 25673, 0, 5)
                .srv("_warren._tcp.warren.test", "ghost.warren.test", 25672, 2, 0)
                // the search-path test's last try is the bare name "seed."
                .localDomain("seed")
                .start();
    }

    @AfterAll
    static void stopDns() {
        if (dns != null) {
            dns.close();
        }
    }

    private static Map<String, String> config(String hostname) {
        Map<String, String> values = new HashMap<>();
        values.put(DiscoverySettings.BACKEND_KEY, "dns");
        values.put("cluster_formation.dns.hostname", hostname);
        values.put("cluster_formation.dns.server", dns.server());
        return values;
    }

    private static DiscoveredPeers discover(String self, Map<String, String> values) {
        return new PeerDiscoveryLoader().load(new DiscoverySettings(self, values)).discover();
    }

    private static Map<String, String> peers(DiscoveredPeers found) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String node : found.nodes()) {
            out.put(node, found.address(node).orElseThrow());
        }
        return out;
    }

    @Test
    void aRecordsAndTheirPtrNamesGiveShortNamesForAShortNamedNode() {
        DiscoveredPeers found = discover(SHORT, config("seed.warren.test"));

        // in the server's order (dnsmasq's may differ from the configuration's)
        assertEquals(Map.of("warren@node1", "127.0.0.11", "warren@node2", "127.0.0.12"),
                peers(found));
        assertEquals(NodeType.DISC, found.nodeType());
        List<String> queries = dns.queries();
        assertTrue(queries.contains("A seed.warren.test"), queries.toString());
        assertTrue(queries.contains("AAAA seed.warren.test"), queries.toString());
        assertTrue(queries.contains("PTR 12.0.0.127.in-addr.arpa"), queries.toString());
    }

    @Test
    void longNamedNodeGetsThePtrNamesWhole() {
        Map<String, String> values = config("seed.warren.test");
        values.put("cluster_formation.node_type", "ram");
        DiscoveredPeers found = discover(LONG, values);

        assertEquals(Set.of("warren@node1.warren.test", "warren@node2.warren.test"),
                Set.copyOf(found.nodes()));
        assertEquals(Optional.of("127.0.0.12"), found.address("warren@node2.warren.test"));
        assertEquals(NodeType.RAM, found.nodeType());
    }

    @Test
    void aaaaRecordsAreReverseLookedUpInIp6Arpa() {
        DiscoveredPeers found = discover(LONG, config("v6.warren.test"));

        assertEquals(Map.of("warren@node3.warren.test", "fd00::13",
                "warren@node1.warren.test", "fd00::11"), peers(found));
    }

    @Test
    void aRecordsComeBeforeAaaaRecords() {
        DiscoveredPeers found = discover(SHORT, config("mixed.warren.test"));

        assertEquals(List.of("warren@node2", "warren@node3"), found.nodes());
        assertEquals(Optional.of("fd00::13"), found.address("warren@node3"));
    }

    @Test
    void severalAddressesWithOnePtrNameKeepTheFirstAddress() {
        DiscoveredPeers found = discover(SHORT, config("dup.warren.test"));

        assertEquals(Map.of("warren@node1", "127.0.0.11"), peers(found));
    }

    @Test
    void anAddressWithoutPtrRecordIsSkipped() {
        DiscoveredPeers found = discover(SHORT, config("noptr.warren.test"));

        assertEquals(Map.of("warren@node2", "127.0.0.12"), peers(found));
        assertTrue(dns.queries().contains("PTR 99.0.0.127.in-addr.arpa"), dns.queries().toString());
    }

    @Test
    void aCnameIsFollowed() {
        DiscoveredPeers found = discover(SHORT, config("alias.warren.test"));

        assertEquals(Map.of("warren@node2", "127.0.0.12"), peers(found));
    }

    @Test
    void srvTargetsArePeersWithTheSrvPortAsClusterPort() {
        Map<String, String> values = config("_warren._tcp.warren.test");
        values.put("cluster_formation.dns.record_type", "SRV");
        DiscoveredPeers found = discover(SHORT, values);

        // priority 0 (weight 10, then 5), then priority 1; ghost has no address and is skipped
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("warren@node1", "127.0.0.11:25672");
        expected.put("warren@node3", "[fd00::13]:25673");
        expected.put("warren@node2", "127.0.0.12");
        assertEquals(expected, peers(found));
        assertEquals(List.copyOf(expected.keySet()), found.nodes());
        assertTrue(dns.queries().contains("A ghost.warren.test"), dns.queries().toString());
    }

    @Test
    void srvWithLongNamesKeepsTheTargetWhole() {
        Map<String, String> values = config("_warren._tcp.warren.test");
        values.put("cluster_formation.dns.record_type", "srv");
        DiscoveredPeers found = discover(LONG, values);

        assertEquals(Optional.of("127.0.0.11:25672"), found.address("warren@node1.warren.test"));
        assertEquals(3, found.nodes().size());
    }

    @Test
    void aNameThatDoesNotExistGivesNoPeers() {
        assertTrue(discover(SHORT, config("absent.warren.test")).isEmpty());
        Map<String, String> srv = config("_absent._tcp.warren.test");
        srv.put("cluster_formation.dns.record_type", "srv");
        assertTrue(discover(SHORT, srv).isEmpty());
    }

    @Test
    void aServerThatRefusesToAnswerIsAFailureToRetry() {
        // dnsmasq has no upstream: names outside its local domains are answered REFUSED
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> discover(SHORT, config("seed.example")));

        assertTrue(e.getMessage().contains("REFUSED"), e.getMessage());
        assertTrue(e.getMessage().contains(dns.server()), e.getMessage());
    }

    @Test
    void aResolverNobodyRunsIsAFailureNamingTheServer() {
        Map<String, String> values = config("seed.warren.test");
        String server = Dnsmasq.HOST + ":" + Dnsmasq.unusedUdpPort();
        values.put("cluster_formation.dns.server", server);
        PeerDiscovery backend = new PeerDiscoveryLoader().load(new DiscoverySettings(SHORT, values));

        long start = System.nanoTime();
        DiscoveryException e = assertThrows(DiscoveryException.class, backend::discover);

        assertTrue(e.getMessage().contains("DNS server " + server), e.getMessage());
        assertTrue(e.getMessage().contains("cluster_formation.dns.server"), e.getMessage());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(DnsDiscovery.QUERY_TIMEOUT.plusSeconds(2)) < 0, took.toString());
    }

    @Test
    void aServerThatNeverAnswersTimesOutAfterOneShortTry() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(Dnsmasq.HOST, 0))) {
            Map<String, String> values = config("seed.warren.test");
            values.put("cluster_formation.dns.server", Dnsmasq.HOST + ":" + silent.getLocalPort());
            PeerDiscovery backend =
                    new PeerDiscoveryLoader().load(new DiscoverySettings(SHORT, values));

            long start = System.nanoTime();
            DiscoveryException e = assertThrows(DiscoveryException.class, backend::discover);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertTrue(e.getMessage().contains("no answer within 2 s"), e.getMessage());
            assertTrue(e.getMessage().contains("DNS server " + Dnsmasq.HOST + ":"
                    + silent.getLocalPort()), e.getMessage());
            assertTrue(took.compareTo(DnsDiscovery.QUERY_TIMEOUT.minusMillis(100)) >= 0,
                    took.toString());
            assertTrue(took.compareTo(DnsDiscovery.QUERY_TIMEOUT.multipliedBy(2)) < 0,
                    took.toString());
        }
    }

    @Test
    void withoutServerTheSystemResolverAndItsSearchPathAreUsed() throws Exception {
        // dnsjava's system configuration honours these properties before /etc/resolv.conf
        System.setProperty("dns.server", dns.server());
        System.setProperty("dns.search", "warren.test");
        try {
            ResolverConfig.refresh();
            Lookup.refreshDefault();
            Map<String, String> values = config("seed");
            values.remove("cluster_formation.dns.server");

            DiscoveredPeers found = discover(SHORT, values);

            assertEquals(Set.of("warren@node1", "warren@node2"), Set.copyOf(found.nodes()));
        } finally {
            System.clearProperty("dns.server");
            System.clearProperty("dns.search");
            ResolverConfig.refresh();
            Lookup.refreshDefault();
        }
    }

    @Test
    void retryPolicyComesFromTheSettingsAndThereIsNoRegistryOrLock() {
        Map<String, String> values = config("seed.warren.test");
        values.put(RetryPolicy.LIMIT_KEY, "3");
        values.put(RetryPolicy.INTERVAL_KEY, "250");
        PeerDiscovery backend = new PeerDiscoveryLoader().load(new DiscoverySettings(SHORT, values));

        assertEquals(new RetryPolicy(3, Duration.ofMillis(250)), backend.retryPolicy());
        assertFalse(backend.supportsRegistration());
        assertTrue(backend.lock(Set.of(SHORT, "warren@node2")).isEmpty());
        assertEquals("dns", backend.type());
    }

    @Test
    void rabbitMqModuleNameSelectsTheBackend() {
        Map<String, String> values = config("seed.warren.test");
        values.put(DiscoverySettings.BACKEND_KEY, "rabbit_peer_discovery_dns");

        assertEquals(2, discover(SHORT, values).nodes().size());
    }
}
