package warren.discovery.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;

class ProxySettingsTest {

    private static DiscoverySettings settings(Map<String, String> values) {
        return new DiscoverySettings("warren@self", values);
    }

    @Test
    void noProxyKeysMeansNoSelector() {
        assertTrue(ProxySettings.from(settings(Map.of())).isEmpty());
    }

    @Test
    void schemesPickTheirProxyAndExclusionsGoDirect() {
        ProxySettings proxies = ProxySettings.from(settings(Map.of(
                ProxySettings.HTTP_PROXY_KEY, "http://proxy.local:3128",
                ProxySettings.HTTPS_PROXY_KEY, "secure.local",
                ProxySettings.EXCLUSIONS_PREFIX + ".1", "etcd.internal",
                ProxySettings.EXCLUSIONS_PREFIX + ".svc", ".svc.cluster.local"))).orElseThrow();
        Proxy http = proxies.select(URI.create("http://consul:8500/v1/agent")).get(0);
        assertEquals(InetSocketAddress.createUnresolved("proxy.local", 3128), http.address());
        Proxy https = proxies.select(URI.create("https://api:6443/")).get(0);
        assertEquals(InetSocketAddress.createUnresolved("secure.local", 443), https.address());
        assertEquals(Proxy.NO_PROXY, proxies.select(URI.create("http://etcd.internal:2379/")).get(0));
        assertEquals(Proxy.NO_PROXY, proxies.select(URI.create("https://kubernetes.default.svc.cluster.local/")).get(0));
    }

    @Test
    void malformedProxyNamesTheKey() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> ProxySettings.from(settings(Map.of(
                ProxySettings.HTTP_PROXY_KEY, "proxy:99999"))));
        assertTrue(e.getMessage().contains(ProxySettings.HTTP_PROXY_KEY), e.getMessage());
    }
}
