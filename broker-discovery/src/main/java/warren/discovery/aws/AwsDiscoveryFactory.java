package warren.discovery.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryFactory;
import warren.discovery.http.BackendHttp;

/**
 * Registers {@link AwsDiscovery} as {@code aws} with the service loader.
 *
 * <p>This class and {@link AwsSettings} use no AWS SDK type: when the SDK jars are missing from
 * the class path the factory still loads, and {@link #create} says what is missing instead of the
 * service loader failing with a {@link NoClassDefFoundError}.
 */
public final class AwsDiscoveryFactory implements PeerDiscoveryFactory {

    public static final String TYPE = "aws";

    private static final String SDK_PROBE = "software.amazon.awssdk.services.ec2.Ec2Client";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<String> configKeys() {
        List<String> keys = new ArrayList<>(List.of(AwsSettings.REGION_KEY, AwsSettings.ACCESS_KEY_ID_KEY,
                AwsSettings.SECRET_KEY_KEY, AwsSettings.USE_AUTOSCALING_GROUP_KEY,
                AwsSettings.INSTANCE_TAGS_PREFIX + ".NAME", AwsSettings.USE_PRIVATE_IP_KEY));
        keys.addAll(BackendHttp.commonKeys());
        return List.copyOf(keys);
    }

    @Override
    public Map<String, String> unsupportedKeys() {
        return Map.of(AwsSettings.INSTANCE_TAGS_PREFIX,
                "the name of the tag family, not a key of its own: write one key per tag, "
                        + AwsSettings.INSTANCE_TAGS_PREFIX + ".<tag name> = <value>");
    }

    @Override
    public PeerDiscovery create(DiscoverySettings settings) {
        AwsSettings aws = AwsSettings.from(settings);
        try {
            Class.forName(SDK_PROBE, false, AwsDiscoveryFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new DiscoveryException("peer discovery backend 'aws' needs the AWS SDK for Java v2 jars (ec2,"
                    + " autoscaling, imds, url-connection-client) on the class path; " + SDK_PROBE + " is missing", e);
        }
        return new AwsDiscovery(settings.localNodeName(), aws, AwsClients.Timeouts.DEFAULT);
    }
}
