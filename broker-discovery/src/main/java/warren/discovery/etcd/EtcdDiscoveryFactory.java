package warren.discovery.etcd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;
import warren.discovery.http.BackendHttp;

/** Registers {@link EtcdDiscovery} as {@code etcd} with the service loader. */
public final class EtcdDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "etcd";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<String> configKeys() {
        List<String> keys = new ArrayList<>(List.of(EtcdConfig.ENDPOINTS, EtcdConfig.ENDPOINTS + ".N",
                EtcdConfig.HOST, EtcdConfig.PORT, EtcdConfig.SCHEME, EtcdConfig.KEY_PREFIX, EtcdConfig.CLUSTER_NAME,
                EtcdConfig.NODE_TTL, EtcdConfig.LOCK_TIMEOUT, EtcdConfig.LOCK_WAIT_TIME, EtcdConfig.USERNAME,
                EtcdConfig.PASSWORD, EtcdConfig.SSL_OPTIONS));
        keys.addAll(BackendHttp.configKeys(TYPE));
        return keys;
    }

    @Override
    public Map<String, String> unsupportedKeys() {
        return new LinkedHashMap<>(BackendHttp.unsupportedKeys(TYPE));
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        return new EtcdDiscovery(settings);
    }
}
