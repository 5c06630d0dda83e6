package warren.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.discovery.aws.AwsDouble;
import warren.server.process.NodeProcess;

/**
 * Three blank node JVMs, EC2 instances each on its own loopback host (127.0.24.x), booted in parallel
 * with the {@code aws} backend against AWS doubles that verify every request's SigV4 signature, form
 * ONE cluster: by instance tags with keys from the config file, and by Auto Scaling group with the
 * credentials of the instance role, which each node reads from its own instance's metadata service
 * (IMDSv2 only, one double per instance, all with the same EC2 and Auto Scaling state). The SDK is
 * pointed at the doubles the standard way ({@code AWS_ENDPOINT_URL_EC2} and friends).
 */
class AwsFormationIT {

    private static final List<String> HOSTS = List.of("127.0.24.1", "127.0.24.2", "127.0.24.3");
    private static final String REGION = "eu-west-1";

    @TempDir
    Path dir;

    private BlankNodes blank;
    private final List<AwsDouble> doubles = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        BlankNodes.closeAll(blank);
        BlankNodes.closeAll(doubles.toArray(AutoCloseable[]::new));
    }

    private static String instanceId(int i) {
        return "i-0warren00000000" + i;
    }

    private static String privateDnsName(int i) {
        return "ip-" + HOSTS.get(i).replace('.', '-') + "." + REGION + ".compute.internal";
    }

    /** A double of the region with the three instances (tagged, in group warren-asg) running. */
    private AwsDouble region(int self) throws Exception {
        AwsDouble aws = AwsDouble.start(REGION);
        String[] ids = new String[HOSTS.size()];
        for (int i = 0; i < HOSTS.size(); i++) {
            aws.addInstance(instanceId(i), privateDnsName(i), HOSTS.get(i), Map.of("service", "warren", "env", "test"));
            ids[i] = instanceId(i);
        }
        aws.addInstance(instanceId(9), "ip-10-0-0-9." + REGION + ".compute.internal", "10.0.0.9",
                Map.of("service", "warren", "env", "prod")); // tagged for another cluster: never contacted
        aws.addGroup("warren-asg", ids);
        aws.selfInstanceId(instanceId(self));
        aws.instanceRole("warren-node", "AKIAWARRENROLE000001", "role/SECRET0000000000000000000000000000001");
        doubles.add(aws);
        return aws;
    }

    private void bootInstances(String config, boolean doublePerInstance) throws Exception {
        int port = NodeProcess.commonPort(HOSTS);
        blank = new BlankNodes(dir, "AWSFORMATIONITCOOKIE");
        AwsDouble shared = doublePerInstance ? null : region(0);
        for (int i = 0; i < HOSTS.size(); i++) {
            AwsDouble aws = doublePerInstance ? region(i) : shared;
            NodeProcess n = blank.addHost("i" + i, "warren@ip-" + HOSTS.get(i).replace('.', '-'), HOSTS.get(i), port,
                    "cluster_formation.peer_discovery_backend = aws\n"
                            + "cluster_formation.aws.region = " + REGION + "\n"
                            + config
                            + "cluster_formation.discovery_retry_limit = 60\n"
                            + "cluster_formation.discovery_retry_interval = 500\n");
            aws.endpointEnvironment().forEach(n::env);
        }
        blank.startInParallel();
        blank.assertOneCluster();
    }

    @Test
    void instanceTagsFormOneCluster() throws Exception {
        bootInstances("cluster_formation.aws.access_key_id = " + AwsDouble.ACCESS_KEY_ID + "\n"
                + "cluster_formation.aws.secret_key = " + AwsDouble.SECRET_KEY + "\n"
                + "cluster_formation.aws.instance_tags.service = warren\n"
                + "cluster_formation.aws.instance_tags.env = test\n", false);
        List<AwsDouble.ApiRequest> describe = doubles.get(0).requests("DescribeInstances");
        assertFalse(describe.isEmpty());
        for (AwsDouble.ApiRequest r : describe) {
            assertEquals(AwsDouble.ACCESS_KEY_ID, r.accessKeyId());
        }
    }

    @Test
    void autoScalingGroupWithTheInstanceRoleFormsOneCluster() throws Exception {
        bootInstances("cluster_formation.aws.use_autoscaling_group = true\n", true);
        for (AwsDouble aws : doubles) {
            assertFalse(aws.requests("DescribeAutoScalingInstances").isEmpty());
            assertTrue(aws.requests().stream().allMatch(r -> r.accessKeyId().equals("AKIAWARRENROLE000001")),
                    "signed with the instance role's key");
            assertTrue(aws.metadataRequests().stream().allMatch(m -> m.method().equals("PUT") || m.withToken()),
                    "IMDSv2: every metadata read carries the session token");
        }
    }
}
