package warren.discovery.consul;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;
import warren.discovery.http.BackendHttp;

/** Registers {@link ConsulDiscovery} as {@code consul} with the service loader. */
public final class ConsulDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "consul";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<String> configKeys() {
        String p = ConsulSettings.P;
        List<String> keys = new ArrayList<>(List.of(
                p + "host", p + "hosts.N", p + "port", p + "scheme", p + "acl_token", p + "cluster_name",
                p + "svc", p + "svc_addr", p + "svc_addr_auto", p + "svc_addr_nic", p + "svc_addr_use_nodename",
                p + "svc_port", p + "svc_tags", p + "svc_tags.N", p + "svc_meta", p + "svc_meta.NAME",
                p + "svc_ttl", p + "deregister_after", p + "include_nodes_with_warnings", p + "use_longname",
                p + "domain_suffix", p + "lock_prefix", p + "lock_timeout", p + "lock_wait_time",
                p + "ssl_options"));
        keys.addAll(BackendHttp.configKeys(TYPE));
        return List.copyOf(keys);
    }

    @Override
    public Map<String, String> unsupportedKeys() {
        return new LinkedHashMap<>(BackendHttp.unsupportedKeys(TYPE));
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        return new ConsulDiscovery(settings);
    }
}
