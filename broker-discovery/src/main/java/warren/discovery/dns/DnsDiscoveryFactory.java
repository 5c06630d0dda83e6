package warren.discovery.dns;

import java.util.List;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;

/** Registers {@link DnsDiscovery} as {@code dns} with the service loader. */
public final class DnsDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "dns";

    @Override
    public String type() {
        return TYPE;
    }

    /**
     * RabbitMQ's one key ({@code hostname}) and Warren's two additions ({@code record_type},
     * {@code server}).
     */
    @Override
    public List<String> configKeys() {
        return List.of(DnsSettings.HOSTNAME_KEY, DnsSettings.RECORD_TYPE_KEY,
                DnsSettings.SERVER_KEY);
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        return new DnsDiscovery(settings);
    }
}
