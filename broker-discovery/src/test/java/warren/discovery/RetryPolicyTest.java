package warren.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsAreRabbitMqsTenRetriesFiveHundredMillisApart() {
        RetryPolicy policy = RetryPolicy.from(new DiscoverySettings("warren@a", Map.of()));

        assertEquals(new RetryPolicy(10, Duration.ofMillis(500)), policy);
        assertEquals(RetryPolicy.DEFAULT, policy);
        assertEquals(11, policy.maxAttempts());
    }

    @Test
    void readsLimitAndIntervalInMillisFromSettings() {
        RetryPolicy policy = RetryPolicy.from(new DiscoverySettings("warren@a", Map.of(
                "cluster_formation.discovery_retry_limit", "30",
                "cluster_formation.discovery_retry_interval", "1000")));

        assertEquals(new RetryPolicy(30, Duration.ofSeconds(1)), policy);
    }

    @Test
    void rejectsZeroLimitNamingTheKey() {
        DiscoverySettings settings = new DiscoverySettings("warren@a",
                Map.of("cluster_formation.discovery_retry_limit", "0"));

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> RetryPolicy.from(settings));
        assertTrue(e.getMessage().contains("cluster_formation.discovery_retry_limit"), e.getMessage());
    }

    @Test
    void rejectsNegativeIntervalNamingTheKey() {
        DiscoverySettings settings = new DiscoverySettings("warren@a",
                Map.of("cluster_formation.discovery_retry_interval", "-5"));

        DiscoveryException e = assertThrows(DiscoveryException.class, () -> RetryPolicy.from(settings));
        assertTrue(e.getMessage().contains("cluster_formation.discovery_retry_interval"), e.getMessage());
    }
}
