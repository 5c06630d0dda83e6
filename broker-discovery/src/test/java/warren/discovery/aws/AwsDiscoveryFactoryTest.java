package warren.discovery.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import warren.discovery.DiscoveryException;
import warren.discovery.DiscoverySettings;
import warren.discovery.PeerDiscovery;
import warren.discovery.PeerDiscoveryLoader;
import warren.discovery.RetryPolicy;

class AwsDiscoveryFactoryTest {

    private static PeerDiscovery create(Map<String, String> values) {
        Map<String, String> all = new HashMap<>(values);
        all.put(DiscoverySettings.BACKEND_KEY, "aws");
        return new PeerDiscoveryLoader().load(new DiscoverySettings("warren@ip-10-0-0-1", all));
    }

    @ParameterizedTest
    @ValueSource(strings = {"aws", "rabbit_peer_discovery_aws", " AWS "})
    void loadsByTypeAndModuleName(String configured) {
        PeerDiscovery discovery = new PeerDiscoveryLoader()
                .load(new DiscoverySettings("warren@host1", Map.of(DiscoverySettings.BACKEND_KEY, configured)));

        assertInstanceOf(AwsDiscovery.class, discovery);
        assertEquals("aws", discovery.type());
    }

    @Test
    void declaresEveryRabbitMqKeyAsSupportedOrRejected() {
        AwsDiscoveryFactory factory = new AwsDiscoveryFactory();
        List<String> rabbitMq = List.of("cluster_formation.aws.access_key_id", "cluster_formation.aws.instance_tags",
                "cluster_formation.aws.instance_tags.NAME", "cluster_formation.aws.region",
                "cluster_formation.aws.secret_key", "cluster_formation.aws.use_autoscaling_group",
                "cluster_formation.aws.use_private_ip");
        for (String key : rabbitMq) {
            assertTrue(factory.configKeys().contains(key) ^ factory.unsupportedKeys().containsKey(key), key);
        }
        assertTrue(factory.configKeys().contains("cluster_formation.proxy.https_proxy"));
    }

    @ParameterizedTest
    @CsvSource({
        "cluster_formation.aws.region, us east 1",
        "cluster_formation.aws.region, US-EAST-1",
        "cluster_formation.aws.use_autoscaling_group, yes",
        "cluster_formation.aws.use_private_ip, 1",
        "cluster_formation.node_type, ssd",
        "cluster_formation.proxy.https_proxy, proxy:99999",
        "cluster_formation.discovery_retry_limit, 0"})
    void aMalformedValueFailsAtCreateNamingTheKey(String key, String value) {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> create(Map.of(key, value)));

        assertTrue(e.getMessage().contains(key), e.getMessage());
    }

    @Test
    void anAccessKeyWithoutItsSecretNamesTheMissingKey() {
        DiscoveryException noSecret = assertThrows(DiscoveryException.class,
                () -> create(Map.of("cluster_formation.aws.access_key_id", "AKIAEXAMPLE")));
        DiscoveryException noKeyId = assertThrows(DiscoveryException.class,
                () -> create(Map.of("cluster_formation.aws.secret_key", "secret")));

        assertTrue(noSecret.getMessage().contains("'cluster_formation.aws.secret_key' is not set"),
                noSecret.getMessage());
        assertTrue(noKeyId.getMessage().contains("'cluster_formation.aws.access_key_id' is not set"),
                noKeyId.getMessage());
    }

    @Test
    void readsEveryKeyAndNeverPrintsTheSecret() {
        Map<String, String> values = new HashMap<>();
        values.put("cluster_formation.aws.region", "us-gov-west-1");
        values.put("cluster_formation.aws.access_key_id", "AKIAEXAMPLE");
        values.put("cluster_formation.aws.secret_key", "TOP-SECRET");
        values.put("cluster_formation.aws.use_autoscaling_group", "TRUE");
        values.put("cluster_formation.aws.use_private_ip", "true");
        values.put("cluster_formation.aws.instance_tags.service", "rabbitmq");
        values.put("cluster_formation.aws.instance_tags.env", "prod");
        values.put("cluster_formation.discovery_retry_limit", "3");
        values.put("cluster_formation.discovery_retry_interval", "2000");

        AwsSettings settings = AwsSettings.from(new DiscoverySettings("warren@10.0.0.1", values));

        assertEquals("us-gov-west-1", settings.region().orElseThrow());
        assertTrue(settings.useAutoscalingGroup());
        assertTrue(settings.usePrivateIp());
        assertEquals(Map.of("service", "rabbitmq", "env", "prod"), settings.instanceTags());
        assertEquals(new RetryPolicy(3, Duration.ofMillis(2000)), settings.retryPolicy());
        assertFalse(settings.toString().contains("TOP-SECRET"), settings.toString());
    }

    @Test
    void defaultsAreRabbitMqs() {
        AwsSettings settings = AwsSettings.from(new DiscoverySettings("warren@host1", Map.of()));

        assertTrue(settings.region().isEmpty());
        assertTrue(settings.accessKeyId().isEmpty());
        assertFalse(settings.useAutoscalingGroup());
        assertFalse(settings.usePrivateIp());
        assertTrue(settings.instanceTags().isEmpty());
        assertEquals(RetryPolicy.DEFAULT, settings.retryPolicy());
        assertTrue(create(Map.of()).lock(Set.of("warren@host1")).isEmpty());
    }
}
