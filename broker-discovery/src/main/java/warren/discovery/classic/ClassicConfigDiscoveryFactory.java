package warren.discovery.classic;

import java.util.Set;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;

/** Registers {@link ClassicConfigDiscovery} as {@code classic_config} with the service loader. */
public final class ClassicConfigDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "classic_config";

    @Override
    public String type() {
        return TYPE;
    }

    /** RabbitMQ's config schema also accepts {@code classic} and {@code config}. */
    @Override
    public Set<String> aliases() {
        return Set.of("classic", "config");
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        return new ClassicConfigDiscovery(settings);
    }
}
