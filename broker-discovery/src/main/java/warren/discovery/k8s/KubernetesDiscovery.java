package warren.discovery.k8s;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import warren.discovery.ConfigWarnings;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.PeerDiscovery;
import warren.discovery.RetryPolicy;

/**
 * What both Kubernetes modes share: the type, the node type and retry policy read from the
 * settings, no registration or lock, and the warnings logged at creation (kept so that tests and
 * status output can show them).
 */
abstract sealed class KubernetesDiscovery implements PeerDiscovery
        permits KubernetesApiDiscovery, StatefulSetDiscovery {

    final NodeType nodeType;
    private final RetryPolicy retryPolicy;
    private final List<String> warnings = new ArrayList<>();

    KubernetesDiscovery(DiscoverySettings settings) {
        this.nodeType = settings.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        this.retryPolicy = RetryPolicy.from(settings);
    }

    @Override
    public final RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    @Override
    public final String type() {
        return KubernetesDiscoveryFactory.TYPE;
    }

    /** The warnings logged when this backend was created. */
    final List<String> warnings() {
        return List.copyOf(warnings);
    }

    final void warn(Logger log, String message) {
        warnings.add(message);
        ConfigWarnings.warnOnce(log, message);
    }
}
