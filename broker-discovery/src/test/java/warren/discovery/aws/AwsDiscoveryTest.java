package warren.discovery.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.DiscoveredPeers;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.NodeType;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;

/**
 * The backend against {@link AwsDouble}, the SDK pointed at it through its standard system
 * properties ({@code aws.endpointUrlEc2}, {@code aws.endpointUrlAutoScaling},
 * {@code aws.ec2MetadataServiceEndpoint}); the SDK's profile files are moved to an empty directory
 * so that this machine's {@code ~/.aws} cannot take part.
 */
class AwsDiscoveryTest {

    private static final String REGION = "eu-west-1";
    private static final List<String> PROPERTIES = List.of("aws.endpointUrlEc2", "aws.endpointUrlAutoScaling",
            "aws.ec2MetadataServiceEndpoint", "aws.configFile", "aws.sharedCredentialsFile", "aws.accessKeyId",
            "aws.secretAccessKey", "aws.disableEc2Metadata", "aws.region");

    @TempDir
    Path home;

    private AwsDouble aws;

    @BeforeEach
    void start() throws IOException {
        for (String p : PROPERTIES) {
            if (System.getProperty(p) != null) {
                throw new IllegalStateException("system property " + p + " is set before the test");
            }
        }
        aws = AwsDouble.start(REGION);
        aws.endpointProperties().forEach(System::setProperty);
        System.setProperty("aws.configFile", home.resolve("config").toString());
        System.setProperty("aws.sharedCredentialsFile", home.resolve("credentials").toString());
    }

    @AfterEach
    void stop() {
        PROPERTIES.forEach(System::clearProperty);
        aws.close();
    }

    private static Map<String, String> staticKeys() {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.peer_discovery_backend", "aws");
        values.put("cluster_formation.aws.region", REGION);
        values.put("cluster_formation.aws.access_key_id", AwsDouble.ACCESS_KEY_ID);
        values.put("cluster_formation.aws.secret_key", AwsDouble.SECRET_KEY);
        return values;
    }

    private static Map<String, String> tagged() {
        Map<String, String> values = staticKeys();
        values.put("cluster_formation.aws.instance_tags.service", "rabbitmq");
        values.put("cluster_formation.aws.instance_tags.environment", "staging");
        return values;
    }

    private static PeerDiscovery backend(String self, Map<String, String> values) {
        return new PeerDiscoveryLoader().load(new DiscoverySettings(self, values));
    }

    private void threeTaggedNodesAndNoise() {
        Map<String, String> tags = Map.of("service", "rabbitmq", "environment", "staging");
        aws.addInstance("i-1", "ip-10-0-0-1.eu-west-1.compute.internal", "10.0.0.1", tags);
        aws.addInstance("i-2", "ip-10-0-0-2.eu-west-1.compute.internal", "10.0.0.2", tags);
        aws.addInstance("i-3", "ip-10-0-0-3.eu-west-1.compute.internal", "10.0.0.3", tags);
        aws.addInstance("i-4", "ip-10-0-0-4.eu-west-1.compute.internal", "10.0.0.4",
                Map.of("service", "rabbitmq", "environment", "production"));
        aws.addInstance(new AwsDouble.Ec2Instance("i-5", "ip-10-0-0-5.eu-west-1.compute.internal", "10.0.0.5",
                "stopped", tags));
    }

    @Test
    void taggedRunningInstancesAreNamedAfterTheFirstLabelOfTheirPrivateDnsNameWithShortNames() {
        threeTaggedNodesAndNoise();

        DiscoveredPeers peers = backend("warren@ip-10-0-0-1", tagged()).discover();

        assertEquals(List.of("warren@ip-10-0-0-1", "warren@ip-10-0-0-2", "warren@ip-10-0-0-3"), peers.nodes());
        assertEquals(Map.of("warren@ip-10-0-0-1", "10.0.0.1", "warren@ip-10-0-0-2", "10.0.0.2",
                "warren@ip-10-0-0-3", "10.0.0.3"), peers.addresses());
        assertEquals(NodeType.DISC, peers.nodeType());
        AwsDouble.ApiRequest request = aws.requests("DescribeInstances").get(0);
        assertTrue(request.signatureValid());
        assertEquals(REGION, request.scopeRegion());
        assertEquals(AwsDouble.EC2_VERSION, request.param("Version"));
        Map<String, String> filters = new HashMap<>();
        for (int n = 1; request.param("Filter." + n + ".Name") != null; n++) {
            assertEquals(null, request.param("Filter." + n + ".Value.2"), "one value per filter");
            filters.put(request.param("Filter." + n + ".Name"), request.param("Filter." + n + ".Value.1"));
        }
        assertEquals(Map.of("tag:service", "rabbitmq", "tag:environment", "staging", "instance-state-name",
                "running"), filters);
    }

    @Test
    void longLocalNamesKeepTheWholePrivateDnsName() {
        threeTaggedNodesAndNoise();

        DiscoveredPeers peers = backend("warren@ip-10-0-0-2.eu-west-1.compute.internal", tagged()).discover();

        assertEquals(List.of("warren@ip-10-0-0-1.eu-west-1.compute.internal",
                "warren@ip-10-0-0-2.eu-west-1.compute.internal", "warren@ip-10-0-0-3.eu-west-1.compute.internal"),
                peers.nodes());
        assertEquals("10.0.0.3", peers.address("warren@ip-10-0-0-3.eu-west-1.compute.internal").orElseThrow());
    }

    @Test
    void usePrivateIpNamesPeersAfterTheirPrivateIp() {
        threeTaggedNodesAndNoise();
        Map<String, String> values = tagged();
        values.put("cluster_formation.aws.use_private_ip", "true");
        values.put("cluster_formation.node_type", "ram");

        DiscoveredPeers peers = backend("rabbit@10.0.0.1", values).discover();

        assertEquals(List.of("rabbit@10.0.0.1", "rabbit@10.0.0.2", "rabbit@10.0.0.3"), peers.nodes());
        assertEquals("10.0.0.2", peers.address("rabbit@10.0.0.2").orElseThrow());
        assertEquals(NodeType.RAM, peers.nodeType());
    }

    @Test
    void followsNextTokenThroughEveryPage() {
        Map<String, String> tags = Map.of("service", "rabbitmq", "environment", "staging");
        for (int i = 1; i <= 5; i++) {
            aws.addInstance("i-" + i, "ip-10-0-1-" + i + ".eu-west-1.compute.internal", "10.0.1." + i, tags);
        }
        aws.pageSize(2);

        DiscoveredPeers peers = backend("warren@ip-10-0-1-1", tagged()).discover();

        assertEquals(5, peers.nodes().size(), peers.nodes().toString());
        List<AwsDouble.ApiRequest> pages = aws.requests("DescribeInstances");
        assertEquals(3, pages.size());
        assertEquals(null, pages.get(0).param("NextToken"));
        assertEquals("page-2", pages.get(1).param("NextToken"));
        assertEquals("page-4", pages.get(2).param("NextToken"));
    }

    @Test
    void autoscalingGroupMembersComeFromThisInstancesGroupThroughImdsV2Only() {
        aws.addInstance("i-a", "ip-10-0-2-1.eu-west-1.compute.internal", "10.0.2.1", Map.of());
        aws.addInstance("i-b", "ip-10-0-2-2.eu-west-1.compute.internal", "10.0.2.2", Map.of());
        aws.addInstance("i-c", "ip-10-0-2-3.eu-west-1.compute.internal", "10.0.2.3", Map.of());
        aws.addInstance("i-other", "ip-10-0-9-9.eu-west-1.compute.internal", "10.0.9.9", Map.of());
        aws.addGroup("other-group", "i-other");
        aws.addGroup("rabbit-asg", "i-a", "i-b", "i-c");
        aws.selfInstanceId("i-b");
        Map<String, String> values = staticKeys();
        values.put("cluster_formation.aws.use_autoscaling_group", "true");

        DiscoveredPeers peers = backend("warren@ip-10-0-2-2", values).discover();

        assertEquals(List.of("warren@ip-10-0-2-1", "warren@ip-10-0-2-2", "warren@ip-10-0-2-3"), peers.nodes());
        assertEquals("10.0.2.1", peers.address("warren@ip-10-0-2-1").orElseThrow());
        assertEquals("i-b", aws.requests("DescribeAutoScalingInstances").get(0).param("InstanceIds.member.1"));
        assertEquals("rabbit-asg",
                aws.requests("DescribeAutoScalingGroups").get(0).param("AutoScalingGroupNames.member.1"));
        AwsDouble.ApiRequest describe = aws.requests("DescribeInstances").get(0);
        assertEquals(List.of("i-a", "i-b", "i-c"), List.of(describe.param("InstanceId.1"),
                describe.param("InstanceId.2"), describe.param("InstanceId.3")));
        assertTrue(aws.requests().stream().allMatch(AwsDouble.ApiRequest::signatureValid));
        // IMDSv2: a token first, then every GET with it; the double answers tokenless GETs 401
        List<AwsDouble.MetadataRequest> metadata = aws.metadataRequests();
        assertEquals("PUT", metadata.get(0).method());
        assertEquals("/latest/api/token", metadata.get(0).path());
        assertTrue(metadata.stream().filter(m -> m.method().equals("GET")).allMatch(m -> m.withToken()
                && m.status() == 200), metadata.toString());
        assertTrue(metadata.stream().anyMatch(m -> m.path().equals(AwsDiscovery.INSTANCE_ID_PATH)));
    }

    @Test
    void anInstanceInNoAutoscalingGroupDiscoversNobody() {
        aws.addInstance("i-lonely", "ip-10-0-3-1.eu-west-1.compute.internal", "10.0.3.1", Map.of());
        aws.selfInstanceId("i-lonely");
        Map<String, String> values = staticKeys();
        values.put("cluster_formation.aws.use_autoscaling_group", "true");

        assertTrue(backend("warren@ip-10-0-3-1", values).discover().isEmpty());
        assertTrue(aws.requests("DescribeInstances").isEmpty());
    }

    @Test
    void autoscalingGroupModeFailsClearlyWhenInstanceMetadataIsDisabled() {
        System.setProperty("aws.disableEc2Metadata", "true");
        Map<String, String> values = staticKeys();
        values.put("cluster_formation.aws.use_autoscaling_group", "true");

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-3-1", values).discover());

        assertTrue(e.getMessage().contains("AWS_EC2_METADATA_DISABLED"), e.getMessage());
        assertTrue(aws.metadataRequests().isEmpty());
    }

    @Test
    void aWrongSecretFailsWithTheAwsErrorCode() {
        threeTaggedNodesAndNoise();
        Map<String, String> values = tagged();
        values.put("cluster_formation.aws.secret_key", "not-the-secret");

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", values).discover());

        assertTrue(e.getMessage().contains("EC2 DescribeInstances failed: AuthFailure"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertFalse(aws.requests().get(0).signatureValid());
    }

    @Test
    void aWrongSecretOnAutoScalingIsSignatureDoesNotMatch() {
        aws.selfInstanceId("i-a");
        Map<String, String> values = staticKeys();
        values.put("cluster_formation.aws.use_autoscaling_group", "true");
        values.put("cluster_formation.aws.secret_key", "not-the-secret");

        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-2-1", values).discover());

        assertTrue(e.getMessage().contains("DescribeAutoScalingInstances failed: SignatureDoesNotMatch"),
                e.getMessage());
    }

    @Test
    void anUnknownAccessKeyAndAWrongRegionAreAuthFailures() {
        threeTaggedNodesAndNoise();
        Map<String, String> unknownKey = tagged();
        unknownKey.put("cluster_formation.aws.access_key_id", "AKIAUNKNOWN000000000");
        Map<String, String> otherRegion = tagged();
        otherRegion.put("cluster_formation.aws.region", "us-west-2");

        DiscoveryException key = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", unknownKey).discover());
        DiscoveryException region = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", otherRegion).discover());

        // EC2 answers both with HTTP 401 AuthFailure, whose body HttpURLConnection drops
        assertTrue(key.getMessage().contains("DescribeInstances failed: AuthFailure"), key.getMessage());
        assertTrue(region.getMessage().contains("DescribeInstances failed: AuthFailure"), region.getMessage());
        assertEquals(List.of("AKIAUNKNOWN000000000", AwsDouble.ACCESS_KEY_ID),
                aws.requests().stream().map(AwsDouble.ApiRequest::accessKeyId).toList());
        assertEquals("us-west-2", aws.requests().get(1).scopeRegion());
    }

    @Test
    void aTransientInternalErrorIsRetriedByTheSdkAndAPersistentOneFails() {
        threeTaggedNodesAndNoise();
        aws.failNext("DescribeInstances", 1, 500, "InternalError");

        assertEquals(3, backend("warren@ip-10-0-0-1", tagged()).discover().nodes().size());
        assertEquals(List.of(500, 200), aws.requests("DescribeInstances").stream()
                .map(AwsDouble.ApiRequest::status).toList());

        aws.failNext("DescribeInstances", 100, 503, "Unavailable");
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", tagged()).discover());
        assertTrue(e.getMessage().contains("Unavailable"), e.getMessage());
    }

    @Test
    void aSlowAnswerTimesOutWithinTheCallTimeout() {
        threeTaggedNodesAndNoise();
        aws.delay("DescribeInstances", Duration.ofSeconds(3));
        AwsDiscovery backend = new AwsDiscovery("warren@ip-10-0-0-1",
                AwsSettings.from(new DiscoverySettings("warren@ip-10-0-0-1", tagged())),
                new AwsClients.Timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofMillis(1500),
                        Duration.ofSeconds(1)));
        long start = System.nanoTime();

        DiscoveryException e = assertThrows(DiscoveryException.class, backend::discover);

        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2900, "took " + millis + " ms");
        assertTrue(e.getMessage().contains("EC2 DescribeInstances failed"), e.getMessage());
        backend.close();
    }

    @Test
    void withoutTagsOrAutoscalingGroupNobodyIsAskedAndNobodyFound() {
        PeerDiscovery backend = backend("warren@ip-10-0-0-1", staticKeys());

        assertTrue(backend.discover().isEmpty());
        assertTrue(aws.requests().isEmpty());
    }

    @Test
    void creatingTheBackendDoesNoNetworkIo() {
        aws.selfInstanceId("i-a");
        Map<String, String> values = staticKeys();
        values.remove("cluster_formation.aws.region");
        values.put("cluster_formation.aws.use_autoscaling_group", "true");

        PeerDiscovery backend = backend("warren@ip-10-0-2-1", values);

        assertInstanceOf(AwsDiscovery.class, backend);
        assertEquals("aws", backend.type());
        assertFalse(backend.supportsRegistration());
        assertTrue(backend.lock(Set.of("warren@ip-10-0-2-1")).isEmpty());
        assertEquals(RetryPolicy.DEFAULT, backend.retryPolicy());
        assertTrue(aws.requests().isEmpty());
        assertTrue(aws.metadataRequests().isEmpty());
    }

    @Test
    void withoutARegionTheInstanceIdentityDocumentGivesIt() {
        threeTaggedNodesAndNoise();
        aws.selfInstanceId("i-1");
        Map<String, String> values = tagged();
        values.remove("cluster_formation.aws.region");

        assertEquals(3, backend("warren@ip-10-0-0-1", values).discover().nodes().size());
        assertEquals(REGION, aws.requests("DescribeInstances").get(0).scopeRegion());
        assertTrue(aws.metadataRequests().stream().anyMatch(
                m -> m.path().equals("/latest/dynamic/instance-identity/document") && m.withToken()));
    }

    @Test
    void withoutStaticKeysTheSdkChainReadsSystemProperties() {
        threeTaggedNodesAndNoise();
        System.setProperty("aws.accessKeyId", AwsDouble.ACCESS_KEY_ID);
        System.setProperty("aws.secretAccessKey", AwsDouble.SECRET_KEY);
        Map<String, String> values = tagged();
        values.remove("cluster_formation.aws.access_key_id");
        values.remove("cluster_formation.aws.secret_key");

        assertEquals(3, backend("warren@ip-10-0-0-1", values).discover().nodes().size());
        assertEquals(AwsDouble.ACCESS_KEY_ID, aws.requests().get(0).accessKeyId());
    }

    @Test
    void withoutStaticKeysTheSdkChainEndsWithTheInstanceRoleOverImdsV2() {
        threeTaggedNodesAndNoise();
        aws.instanceRole("warren-node", "ASIAWARRENROLE000001", "role/secret/EXAMPLE");
        Map<String, String> values = tagged();
        values.remove("cluster_formation.aws.access_key_id");
        values.remove("cluster_formation.aws.secret_key");

        assertEquals(3, backend("warren@ip-10-0-0-1", values).discover().nodes().size());
        assertEquals("ASIAWARRENROLE000001", aws.requests().get(0).accessKeyId());
        assertTrue(aws.requests().get(0).signatureValid());
        assertTrue(aws.metadataRequests().stream().filter(m -> m.method().equals("GET"))
                .allMatch(AwsDouble.MetadataRequest::withToken), aws.metadataRequests().toString());
    }

    @Test
    void whenNoImdsV2TokenIsIssuedNeitherTheCredentialChainNorTheGroupLookupFallsBackToImdsV1() {
        threeTaggedNodesAndNoise();
        aws.instanceRole("warren-node", "ASIAWARRENROLE000001", "role/secret/EXAMPLE");
        aws.selfInstanceId("i-1");
        aws.refuseTokens(true);
        Map<String, String> chain = tagged();
        chain.remove("cluster_formation.aws.access_key_id");
        chain.remove("cluster_formation.aws.secret_key");
        Map<String, String> group = staticKeys();
        group.put("cluster_formation.aws.use_autoscaling_group", "true");

        DiscoveryException credentials = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", chain).discover());
        DiscoveryException instanceId = assertThrows(DiscoveryException.class,
                () -> backend("warren@ip-10-0-0-1", group).discover());

        assertTrue(credentials.getMessage().contains("credentials"), credentials.getMessage());
        assertTrue(instanceId.getMessage().contains("Failed to determine EC2 instance ID"), instanceId.getMessage());
        assertFalse(aws.metadataRequests().isEmpty());
        assertTrue(aws.metadataRequests().stream().allMatch(m -> m.method().equals("PUT")),
                "a tokenless (IMDSv1) request was made: " + aws.metadataRequests());
    }
}
