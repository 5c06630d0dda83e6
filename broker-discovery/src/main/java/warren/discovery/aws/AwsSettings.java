package warren.discovery.aws;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.RetryPolicy;
import warren.discovery.http.ProxySettings;

/**
 * The {@code cluster_formation.aws.*} keys, checked when the backend is created. Free of AWS SDK
 * types, so that a node can validate its configuration even where the SDK jars are left out.
 *
 * @param region the configured region, empty for the SDK's chain, then instance metadata, then
 *     us-east-1
 * @param accessKeyId static access key id, empty for the SDK's default credential chain
 * @param secretKey the secret of {@code accessKeyId}; both or neither are set
 * @param useAutoscalingGroup list this instance's Auto Scaling group instead of tagged instances
 * @param instanceTags tag name to value, one EC2 filter each, sorted by tag name
 * @param usePrivateIp name peers after their private IP instead of their private DNS name
 * @param nodeType the type this node joins as
 * @param retryPolicy {@code cluster_formation.discovery_retry_*}
 * @param proxy {@code cluster_formation.proxy.*}, empty when no proxy is configured
 */
record AwsSettings(Optional<String> region, Optional<String> accessKeyId, Optional<String> secretKey,
        boolean useAutoscalingGroup, Map<String, String> instanceTags, boolean usePrivateIp,
        NodeType nodeType, RetryPolicy retryPolicy, Optional<ProxySettings> proxy) {

    static final String PREFIX = "cluster_formation.aws.";
    static final String REGION_KEY = PREFIX + "region";
    static final String ACCESS_KEY_ID_KEY = PREFIX + "access_key_id";
    static final String SECRET_KEY_KEY = PREFIX + "secret_key";
    static final String USE_AUTOSCALING_GROUP_KEY = PREFIX + "use_autoscaling_group";
    static final String INSTANCE_TAGS_PREFIX = PREFIX + "instance_tags";
    static final String USE_PRIVATE_IP_KEY = PREFIX + "use_private_ip";

    /** us-east-1, eu-west-3, us-gov-west-1, cn-north-1, ap-southeast-2, eu-isoe-west-1 ... */
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");

    AwsSettings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretKey, "secretKey");
        instanceTags = Map.copyOf(instanceTags);
        Objects.requireNonNull(nodeType, "nodeType");
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(proxy, "proxy");
    }

    /**
     * @throws DiscoveryException naming the key of the first malformed or incomplete setting
     */
    static AwsSettings from(DiscoverySettings settings) {
        Optional<String> region = settings.get(REGION_KEY);
        region.ifPresent(r -> {
            if (!REGION.matcher(r).matches()) {
                throw new DiscoveryException("config key '" + REGION_KEY
                        + "': expected an AWS region such as us-east-1, got '" + r + "'");
            }
        });
        Optional<String> accessKeyId = settings.get(ACCESS_KEY_ID_KEY);
        Optional<String> secretKey = settings.get(SECRET_KEY_KEY);
        if (accessKeyId.isPresent() && secretKey.isEmpty()) {
            throw new DiscoveryException("config key '" + SECRET_KEY_KEY + "' is not set; it is required"
                    + " with '" + ACCESS_KEY_ID_KEY + "' (or unset both to use the AWS SDK's default"
                    + " credential chain)");
        }
        if (secretKey.isPresent() && accessKeyId.isEmpty()) {
            throw new DiscoveryException("config key '" + ACCESS_KEY_ID_KEY + "' is not set; it is required"
                    + " with '" + SECRET_KEY_KEY + "' (or unset both to use the AWS SDK's default"
                    + " credential chain)");
        }
        boolean useAutoscalingGroup = settings.getBool(USE_AUTOSCALING_GROUP_KEY, false);
        boolean usePrivateIp = settings.getBool(USE_PRIVATE_IP_KEY, false);
        Map<String, String> tags = settings.named(INSTANCE_TAGS_PREFIX);
        NodeType nodeType = settings.get(NodeType.KEY).map(NodeType::parse).orElse(NodeType.DISC);
        return new AwsSettings(region, accessKeyId, secretKey, useAutoscalingGroup, tags, usePrivateIp,
                nodeType, RetryPolicy.from(settings), ProxySettings.from(settings));
    }

    @Override
    public String toString() {
        // never the secret
        return "AwsSettings[region=" + region.orElse("(chain)") + ", accessKeyId=" + accessKeyId.orElse("(chain)")
                + ", useAutoscalingGroup=" + useAutoscalingGroup + ", instanceTags=" + instanceTags
                + ", usePrivateIp=" + usePrivateIp + "]";
    }
}
