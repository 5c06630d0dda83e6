package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.dns.Dnsmasq;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs, each on its own loopback host (127.0.21.x) with a host name that only a
 * real dnsmasq (started here, stopped by PID) knows, booted in parallel with the {@code dns}
 * backend, form ONE cluster: by A (and AAAA) records of one name and the PTR names of the
 * addresses, RabbitMQ's way, and by SRV records (Warren's {@code record_type = srv}). No backend
 * lock: the lowest-named candidate forms, the others join it.
 */
class DnsFormationIT {

    private static final List<String> HOSTS = List.of("127.0.21.1", "127.0.21.2", "127.0.21.3");
    private static final List<String> NAMES = List.of("node-a", "node-b", "node-c");

    @TempDir
    Path dir;

    private BlankNodes blank;
    private Dnsmasq dns;

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank, dns);
    }

    private void bootThree(int port, String dnsConfig) throws Exception {
        blank = new BlankNodes(dir, "DNSFORMATIONITCOOKIE");
        for (int i = 0; i < HOSTS.size(); i++) {
            blank.addHost(NAMES.get(i), "warren@" + NAMES.get(i), HOSTS.get(i), port,
                    dnsConfig
                            + "cluster_formation.dns.server = " + dns.server() + "\n"
                            + "cluster_formation.discovery_retry_limit = 60\n"
                            + "cluster_formation.discovery_retry_interval = 500\n");
        }
        blank.startInParallel();
        blank.assertOneCluster();
    }

    @Test
    void aAaaaAndPtrRecordsOfOneNameFormOneClusterOfHostsOnlyDnsKnows() throws Exception {
        int port = NodeProcess.commonPort(HOSTS);
        Dnsmasq.Builder records = Dnsmasq.builder();
        for (int i = 0; i < HOSTS.size(); i++) {
            String ipv6 = "fd00:21::" + (i + 1);
            records.hostRecord(NAMES.get(i) + ".warren.test", HOSTS.get(i), ipv6) // A, AAAA and both PTRs
                    .address("peers.warren.test", HOSTS.get(i))
                    .address("peers.warren.test", ipv6);
        }
        dns = records.start();
        bootThree(port, "cluster_formation.peer_discovery_backend = dns\n"
                + "cluster_formation.dns.hostname = peers.warren.test\n");
        List<String> queries = dns.queries();
        assertTrue(queries.contains("A peers.warren.test") && queries.contains("AAAA peers.warren.test"), queries.toString());
        assertTrue(queries.contains("PTR 1.21.0.127.in-addr.arpa"), queries.toString());
        for (NodeProcess n : blank.nodes()) {
            assertTrue(n.allLogs().contains("Addresses discovered via A records of peers.warren.test"), n.nodeName());
        }
    }

    @Test
    void srvRecordsFormOneCluster() throws Exception {
        int port = NodeProcess.commonPort(HOSTS);
        Dnsmasq.Builder records = Dnsmasq.builder();
        for (int i = 0; i < HOSTS.size(); i++) {
            records.hostRecord(NAMES.get(i) + ".warren.test", HOSTS.get(i))
                    .srv("_warren._tcp.warren.test", NAMES.get(i) + ".warren.test", port + 20000, 0, 10);
        }
        dns = records.start();
        bootThree(port, "cluster_formation.peer_discovery_backend = rabbit_peer_discovery_dns\n"
                + "cluster_formation.dns.hostname = _warren._tcp.warren.test\n"
                + "cluster_formation.dns.record_type = srv\n");
        assertTrue(dns.queries().contains("SRV _warren._tcp.warren.test"), dns.queries().toString());
    }
}
