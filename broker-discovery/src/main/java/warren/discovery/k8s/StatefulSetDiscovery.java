package warren.discovery.k8s;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerNames;

/**
 * RabbitMQ 4.1's Kubernetes peer discovery: no API request at all. A StatefulSet's pods are named
 * {@code <statefulset>-<ordinal>}, so the pod with ordinal {@code ordinal_start} (usually
 * {@code -0}) exists whatever the others are doing; it is the <em>seed</em>, the only node allowed
 * to start a new cluster. Every node discovers just the seed: the seed finds itself and forms,
 * the others join it and keep retrying until it answers.
 *
 * <p>The seed's name is this node's name with the ordinal of its host's first label replaced:
 * {@code warren@rabbitmq-2.rabbitmq-headless.ns.svc.cluster.local} has the seed
 * {@code warren@rabbitmq-0.rabbitmq-headless.ns.svc.cluster.local}. {@code seed_node} names it
 * explicitly instead. No address is given: the seed is contacted at its name's host, which the
 * cluster's DNS resolves for a StatefulSet behind a headless service.
 */
final class StatefulSetDiscovery extends KubernetesDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(StatefulSetDiscovery.class);

    /** The first label of a StatefulSet pod's host: the set's name, a hyphen, the ordinal. */
    private static final Pattern POD_LABEL = Pattern.compile("(.+)-([0-9]{1,9})");

    private final String seed;

    StatefulSetDiscovery(DiscoverySettings settings) {
        super(settings);
        int ordinalStart = settings.getInt(KubernetesDiscoveryFactory.ORDINAL_START_KEY, 0, 0);
        Optional<String> seedNode = settings.get(KubernetesDiscoveryFactory.SEED_NODE_KEY);
        this.seed = seedNode.isPresent() ? explicitSeed(seedNode.get())
                : derivedSeed(settings.localNodeName(), ordinalStart);
        List<String> ignored = KubernetesDiscoveryFactory.API_KEYS.stream()
                .filter(k -> settings.get(k).isPresent()).toList();
        if (!ignored.isEmpty()) {
            warn(LOG, "Peer discovery: ignoring configuration options of the Kubernetes API mode in StatefulSet mode: "
                    + ignored);
        }
        LOG.info("Peer discovery: Kubernetes StatefulSet mode; the seed node is {}{}", seed,
                seed.equals(settings.localNodeName()) ? " (this node: it may form a new cluster)" : "");
    }

    private static String explicitSeed(String value) {
        int at = value.indexOf('@');
        if (at <= 0 || at == value.length() - 1 || value.indexOf('@', at + 1) >= 0) {
            throw new DiscoveryException("config key '" + KubernetesDiscoveryFactory.SEED_NODE_KEY
                    + "': expected a node name such as warren@rabbitmq-0.rabbitmq-headless, got '" + value + "'");
        }
        return value;
    }

    /**
     * The pod with ordinal {@code ordinalStart} of this node's StatefulSet, in this node's domain.
     *
     * @throws DiscoveryException when this node's host does not look like a StatefulSet pod's
     */
    static String derivedSeed(String localNodeName, int ordinalStart) {
        String host = PeerNames.host(localNodeName);
        int dot = host.indexOf('.');
        String label = dot < 0 ? host : host.substring(0, dot);
        String domain = dot < 0 ? "" : host.substring(dot);
        Matcher m = POD_LABEL.matcher(label);
        if (PeerNames.isIpLiteral(host) || !m.matches()) {
            throw new DiscoveryException("Kubernetes StatefulSet peer discovery: this node's name " + localNodeName
                    + " does not end its host's first label in -<ordinal> as StatefulSet pods do"
                    + " (<statefulset>-<N>); deploy Warren as a StatefulSet and name nodes after the pod's host"
                    + " name, or set " + KubernetesDiscoveryFactory.SEED_NODE_KEY);
        }
        int ordinal = Integer.parseInt(m.group(2));
        if (ordinal < ordinalStart) {
            throw new DiscoveryException("config key '" + KubernetesDiscoveryFactory.ORDINAL_START_KEY + "' = "
                    + ordinalStart + ", but this pod's ordinal is " + ordinal + " (" + localNodeName
                    + "); set it to the StatefulSet's .spec.ordinals.start");
        }
        return PeerNames.prefix(localNodeName) + "@" + m.group(1) + "-" + ordinalStart + domain;
    }

    @Override
    public DiscoveredPeers discover() {
        return new DiscoveredPeers(List.of(seed), nodeType);
    }

    /** The seed, whatever was discovered: no other node may start a new cluster. */
    @Override
    public Optional<String> designatedSeed(DiscoveredPeers peers) {
        return Optional.of(seed);
    }
}
