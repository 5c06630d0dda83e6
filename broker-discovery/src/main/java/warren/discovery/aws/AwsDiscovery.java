package warren.discovery.aws;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerNames;
import warren.discovery.RetryPolicy;

/**
 * Peers from the EC2 API, as RabbitMQ's {@code rabbit_peer_discovery_aws}: the running instances
 * carrying every {@code cluster_formation.aws.instance_tags.NAME = value} tag, or, with
 * {@code use_autoscaling_group = true}, the instances of this instance's Auto Scaling group (this
 * instance's id from IMDSv2). A peer is named after its private DNS name (or private IP with
 * {@code use_private_ip = true}) by RabbitMQ's rule ({@link PeerNames}) and contacted at its
 * private IP.
 *
 * <p>The SDK signs every request (SigV4) and resolves credentials and endpoints; its clients are
 * built on the first {@link #discover()}, so creating the backend does no I/O. No registration and
 * no lock: Auto Scaling and EC2 keep the membership, and {@link warren.discovery.FormationOrder}'s
 * seed rule orders simultaneous starters.
 */
public final class AwsDiscovery implements PeerDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(AwsDiscovery.class);

    static final String INSTANCE_ID_PATH = "/latest/meta-data/instance-id";

    private final String localNodeName;
    private final AwsSettings settings;
    private final AwsClients.Timeouts timeouts;
    private final AtomicBoolean warnedAboutName = new AtomicBoolean();
    private AwsClients clients;

    AwsDiscovery(String localNodeName, AwsSettings settings, AwsClients.Timeouts timeouts) {
        this.localNodeName = Objects.requireNonNull(localNodeName, "localNodeName");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    }

    @Override
    public DiscoveredPeers discover() {
        warnAboutIpNamesOnce();
        if (!settings.useAutoscalingGroup() && settings.instanceTags().isEmpty()) {
            LOG.warn("Cannot discover any nodes because AWS tags are not configured!"
                    + " (set {}.<tag> = <value>, or {} = true)", AwsSettings.INSTANCE_TAGS_PREFIX,
                    AwsSettings.USE_AUTOSCALING_GROUP_KEY);
            return DiscoveredPeers.none(settings.nodeType());
        }
        AwsClients aws = clients();
        List<Instance> instances;
        if (settings.useAutoscalingGroup()) {
            List<String> ids = autoscalingGroupInstanceIds(aws);
            if (ids == null) {
                return DiscoveredPeers.none(settings.nodeType());
            }
            instances = describeInstances(aws, ids);
        } else {
            instances = describeInstances(aws, List.of());
        }
        DiscoveredPeers peers = DiscoveredPeers.at(peers(instances), settings.nodeType());
        LOG.info("Peer discovery (aws): {} in region {}: {}", settings.useAutoscalingGroup()
                ? "autoscaling group members" : "instances tagged " + settings.instanceTags(), aws.region,
                peers.nodes());
        return peers;
    }

    @Override
    public RetryPolicy retryPolicy() {
        return settings.retryPolicy();
    }

    @Override
    public String type() {
        return AwsDiscoveryFactory.TYPE;
    }

    private synchronized AwsClients clients() {
        if (clients == null) {
            try {
                clients = AwsClients.build(settings, timeouts);
            } catch (SdkException e) {
                throw new DiscoveryException("Peer discovery (aws): cannot set up the AWS clients: " + e.getMessage(),
                        e);
            }
        }
        return clients;
    }

    /** Closes the SDK clients; a later {@link #discover()} builds new ones. */
    synchronized void close() {
        if (clients != null) {
            clients.close();
            clients = null;
        }
    }

    /**
     * This instance's group members, or null (after a warning) when this instance is in no group,
     * as RabbitMQ answers "no nodes" then.
     */
    private List<String> autoscalingGroupInstanceIds(AwsClients aws) {
        if (AwsClients.metadataDisabled()) {
            throw new DiscoveryException("Peer discovery (aws): " + AwsSettings.USE_AUTOSCALING_GROUP_KEY
                    + " = true needs this instance's id from instance metadata, which AWS_EC2_METADATA_DISABLED"
                    + " (aws.disableEc2Metadata) turns off");
        }
        String instanceId;
        try {
            instanceId = aws.metadata().get(INSTANCE_ID_PATH).asString().trim();
        } catch (Ec2MetadataClientException e) {
            throw new DiscoveryException("Peer discovery (aws): Failed to determine EC2 instance ID from metadata"
                    + " service (IMDSv2 GET " + INSTANCE_ID_PATH + " answered HTTP " + e.statusCode() + ")", e);
        } catch (SdkClientException e) {
            throw new DiscoveryException("Peer discovery (aws): Failed to determine EC2 instance ID from metadata"
                    + " service (IMDSv2): " + e.getMessage(), e);
        }
        LOG.debug("EC2 instance ID is determined from metadata service: {}", instanceId);
        String group = null;
        for (AutoScalingInstanceDetails details : call("Auto Scaling DescribeAutoScalingInstances",
                () -> aws.autoScaling.describeAutoScalingInstancesPaginator(r -> r.instanceIds(instanceId))
                        .autoScalingInstances().stream().toList())) {
            if (instanceId.equals(details.instanceId())) {
                group = details.autoScalingGroupName();
            }
        }
        if (group == null) {
            LOG.warn("Cannot discover any nodes because no AWS autoscaling group could be found in the instance"
                    + " description. Make sure that this instance ({}) belongs to an autoscaling group.", instanceId);
            return null;
        }
        String groupName = group;
        LOG.debug("Performing autoscaling group discovery, group: {}", groupName);
        Set<String> ids = new LinkedHashSet<>();
        for (AutoScalingGroup g : call("Auto Scaling DescribeAutoScalingGroups",
                () -> aws.autoScaling.describeAutoScalingGroupsPaginator(r -> r.autoScalingGroupNames(groupName))
                        .autoScalingGroups().stream().toList())) {
            if (groupName.equals(g.autoScalingGroupName())) {
                g.instances().forEach(i -> ids.add(i.instanceId()));
            }
        }
        LOG.debug("Performing autoscaling group discovery, found instances: {}", ids);
        if (ids.isEmpty()) {
            // cannot happen for a group this instance is in, unless it just left
            LOG.warn("Cannot discover any nodes: autoscaling group {} lists no instances", groupName);
            return null;
        }
        return List.copyOf(ids);
    }

    /** Running instances with every configured tag, among {@code ids} when given. */
    private List<Instance> describeInstances(AwsClients aws, List<String> ids) {
        List<Filter> filters = new ArrayList<>();
        settings.instanceTags().forEach((name, value) ->
                filters.add(Filter.builder().name("tag:" + name).values(value).build()));
        filters.add(Filter.builder().name("instance-state-name").values("running").build());
        DescribeInstancesRequest.Builder request = DescribeInstancesRequest.builder().filters(filters);
        if (!ids.isEmpty()) {
            request.instanceIds(ids);
        }
        DescribeInstancesRequest built = request.build();
        return call("EC2 DescribeInstances", () -> {
            List<Instance> out = new ArrayList<>();
            for (Reservation reservation : aws.ec2.describeInstancesPaginator(built).reservations()) {
                out.addAll(reservation.instances());
            }
            return out;
        });
    }

    private Map<String, String> peers(List<Instance> instances) {
        Map<String, String> peers = new LinkedHashMap<>();
        for (Instance instance : instances) {
            String host = settings.usePrivateIp() ? instance.privateIpAddress() : instance.privateDnsName();
            if (host == null || host.isBlank()) {
                // as RabbitMQ: an instance without the name (e.g. just terminated) is no candidate
                LOG.debug("Peer discovery (aws): instance {} has no {}; skipped", instance.instanceId(),
                        settings.usePrivateIp() ? "private IP address" : "private DNS name");
                continue;
            }
            String address = instance.privateIpAddress();
            if (address == null || address.isBlank()) {
                address = instance.ipv6Address() != null && !instance.ipv6Address().isBlank()
                        ? "[" + instance.ipv6Address() + "]" : host;
            }
            peers.putIfAbsent(PeerNames.peerName(localNodeName, host), address);
        }
        return peers;
    }

    private <T> T call(String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (AwsServiceException e) {
            throw new DiscoveryException("Peer discovery (aws): " + operation + " failed: " + describe(e)
                    + " (HTTP " + e.statusCode() + ", request id " + e.requestId() + ")", e);
        } catch (SdkClientException e) {
            throw new DiscoveryException("Peer discovery (aws): " + operation + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * {@code Code: Message} of an AWS error answer. EC2 answers authentication failures with HTTP 401,
     * whose body {@link java.net.HttpURLConnection} drops when the request was streamed (every SDK
     * request is), so the SDK sees neither code nor message: a 401 is then described by what EC2 means
     * by it.
     */
    static String describe(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String message = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        if (code == null && e.statusCode() == 401) {
            return "AuthFailure: the access key id is unknown, its secret is wrong, the request was signed for"
                    + " another region, or this host's clock is off by more than 5 minutes (HTTP 401; the JDK's"
                    + " HttpURLConnection does not expose the body of a 401 answer, so the code is inferred)";
        }
        if (code == null) {
            return "HTTP " + e.statusCode() + " without an AWS error code";
        }
        return code + ": " + message;
    }

    private void warnAboutIpNamesOnce() {
        if (settings.usePrivateIp() && !PeerNames.isIpLiteral(PeerNames.host(localNodeName))
                && warnedAboutName.compareAndSet(false, true)) {
            LOG.warn("Peer discovery (aws): {} = true names peers {}@<private IP>, but this node is named {};"
                    + " peers will not find it under that name. Name the node after its private IP address.",
                    AwsSettings.USE_PRIVATE_IP_KEY, PeerNames.prefix(localNodeName), localNodeName);
        }
    }
}
