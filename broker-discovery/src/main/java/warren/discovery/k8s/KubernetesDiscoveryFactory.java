package warren.discovery.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;
import warren.discovery.http.BackendHttp;

/**
 * Registers the {@code k8s} backend (alias {@code kubernetes}) and chooses its mode.
 *
 * <p>RabbitMQ 3.10 asks the Kubernetes API for the service's Endpoints; RabbitMQ 4.1 replaced that
 * with the StatefulSet rule (the pod with ordinal {@code ordinal_start} is the seed) and ignores the
 * API keys. Warren keeps both, chosen by {@value #MODE_KEY}:
 * <ul>
 *   <li>{@code api}: the Endpoints API, RabbitMQ 3.10's behaviour;</li>
 *   <li>{@code statefulset}: RabbitMQ 4.1's behaviour, no API access needed.</li>
 * </ul>
 * Unset, the mode is {@code statefulset} when a 4.1 key ({@value #ORDINAL_START_KEY} or
 * {@value #SEED_NODE_KEY}) is set and {@code api} otherwise, so a 3.10 configuration keeps its
 * meaning and a 4.1 configuration that says anything 4.1-specific gets 4.1's.
 */
public final class KubernetesDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "k8s";
    static final String PREFIX = "cluster_formation.k8s.";

    public static final String MODE_KEY = PREFIX + "discovery_mode";
    public static final String ORDINAL_START_KEY = PREFIX + "ordinal_start";
    public static final String SEED_NODE_KEY = PREFIX + "seed_node";

    public static final String HOST_KEY = PREFIX + "host";
    public static final String PORT_KEY = PREFIX + "port";
    public static final String SCHEME_KEY = PREFIX + "scheme";
    public static final String TOKEN_PATH_KEY = PREFIX + "token_path";
    public static final String CERT_PATH_KEY = PREFIX + "cert_path";
    public static final String NAMESPACE_PATH_KEY = PREFIX + "namespace_path";
    public static final String SERVICE_NAME_KEY = PREFIX + "service_name";
    public static final String ADDRESS_TYPE_KEY = PREFIX + "address_type";
    public static final String HOSTNAME_SUFFIX_KEY = PREFIX + "hostname_suffix";

    /** RabbitMQ 3.10's keys, read in API mode only. */
    static final List<String> API_KEYS = List.of(HOST_KEY, PORT_KEY, SCHEME_KEY, TOKEN_PATH_KEY, CERT_PATH_KEY,
            NAMESPACE_PATH_KEY, SERVICE_NAME_KEY, ADDRESS_TYPE_KEY, HOSTNAME_SUFFIX_KEY);

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<String> aliases() {
        return Set.of("kubernetes");
    }

    @Override
    public List<String> configKeys() {
        List<String> keys = new ArrayList<>(API_KEYS);
        keys.add(MODE_KEY);
        keys.add(ORDINAL_START_KEY);
        keys.add(SEED_NODE_KEY);
        keys.addAll(BackendHttp.configKeys(TYPE));
        return keys;
    }

    @Override
    public Map<String, String> unsupportedKeys() {
        Map<String, String> out = new LinkedHashMap<>(BackendHttp.unsupportedKeys(TYPE));
        for (String k : List.of("cacertfile", "certfile", "keyfile", "verify", "fail_if_no_peer_cert")) {
            out.put(PREFIX + "tls." + k, "RabbitMQ 4.1 accepts and ignores it; Warren's API mode reads "
                    + PREFIX + "ssl_options." + k + " instead (and trusts " + CERT_PATH_KEY + " by default)");
        }
        return out;
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        return switch (mode(settings)) {
            case "statefulset" -> new StatefulSetDiscovery(settings);
            default -> new KubernetesApiDiscovery(settings);
        };
    }

    /**
     * {@code api} or {@code statefulset}, from {@value #MODE_KEY} or, unset, from whether a 4.1 key
     * is set.
     *
     * @throws DiscoveryException when the mode is {@code api} but a StatefulSet-mode key is set
     */
    static String mode(DiscoverySettings settings) {
        boolean stsKeys = settings.get(ORDINAL_START_KEY).isPresent() || settings.get(SEED_NODE_KEY).isPresent();
        String mode = settings.getChoice(MODE_KEY, stsKeys ? "statefulset" : "api", "api", "statefulset");
        if (mode.equals("api") && stsKeys) {
            throw new DiscoveryException("config key '" + MODE_KEY + "' = api, but "
                    + (settings.get(ORDINAL_START_KEY).isPresent() ? ORDINAL_START_KEY : SEED_NODE_KEY)
                    + " is a StatefulSet-mode key, which the Endpoints API mode would ignore; remove it, or set "
                    + MODE_KEY + " = statefulset");
        }
        return mode;
    }
}
