package warren.discovery.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

/** The backend against an etcd that serves clients over TLS and requires client certificates. */
class EtcdTlsTest {

    private static final String SSL = "cluster_formation.etcd.ssl_options.";
    private static EtcdServer.Certificates pki;
    private static EtcdServer etcd;

    @BeforeAll
    static void startEtcd() {
        pki = EtcdServer.Certificates.generate();
        etcd = EtcdServer.start(pki);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
        if (pki != null) {
            pki.close();
        }
    }

    private static Map<String, String> tls(String caFile) {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.etcd.endpoints.1", etcd.endpoint());
        values.put(SSL + "cacertfile", caFile);
        values.put(SSL + "certfile", pki.clientCert().toString());
        values.put(SSL + "keyfile", pki.clientKey().toString());
        values.put(SSL + "verify", "verify_peer");
        values.put(SSL + "versions.1", "tlsv1.2");
        return values;
    }

    @Test
    void verifiedTlsWithAClientCertificateRegistersAndDiscovers() {
        EtcdDiscovery node = new EtcdDiscovery(new DiscoverySettings("warren@host1", tls(pki.caFile().toString())));
        node.register();
        try {
            assertEquals("https", node.clientForTest().currentEndpoint().getScheme(), "ssl_options imply https");
            assertEquals(List.of("warren@host1"), node.discover().nodes());
            assertEquals(List.of(node.nodeKey()), etcd.keys("/rabbitmq/"));
        } finally {
            node.unregister();
        }
    }

    @Test
    void aServerCertificateFromAnotherCaIsRejectedNamingTheTlsKeys() {
        EtcdDiscovery node = new EtcdDiscovery(new DiscoverySettings("warren@host1",
                tls(pki.otherCaFile().toString())));

        DiscoveryException e = assertThrows(DiscoveryException.class, node::discover);

        assertTrue(e.getMessage().contains("TLS handshake failed"), e.getMessage());
        assertTrue(e.getMessage().contains(SSL + "cacertfile"), e.getMessage());
        assertTrue(e.getMessage().contains(etcd.endpoint()), e.getMessage());
    }

    @Test
    void withoutTheClientCertificateEtcdRefusesTheHandshake() {
        Map<String, String> values = tls(pki.caFile().toString());
        values.remove(SSL + "certfile");
        values.remove(SSL + "keyfile");
        EtcdDiscovery node = new EtcdDiscovery(new DiscoverySettings("warren@host1", values));

        DiscoveryException e = assertThrows(DiscoveryException.class, node::discover);

        assertTrue(e.getMessage().contains(SSL + "certfile"), e.getMessage());
    }
}
