package warren.discovery;

import java.time.Duration;
import java.util.Objects;

/**
 * How often and how far apart the cluster layer repeats discovery and the join that follows it
 * when a backend fails or no candidate answers yet.
 *
 * <p>{@code limit} counts retries after the first attempt, as RabbitMQ's
 * {@code cluster_formation.discovery_retry_limit} does, so at most {@code limit + 1} attempts are
 * made. The defaults (10 retries, 500 ms apart) are the ones RabbitMQ documents; they cover about
 * five seconds of an unavailable peer or service.
 *
 * @param limit retries after the first attempt, at least 1
 * @param interval pause between attempts, positive
 */
public record RetryPolicy(int limit, Duration interval) {

    public static final String LIMIT_KEY = "cluster_formation.discovery_retry_limit";
    public static final String INTERVAL_KEY = "cluster_formation.discovery_retry_interval";
    public static final int DEFAULT_LIMIT = 10;
    public static final int DEFAULT_INTERVAL_MILLIS = 500;

    /** RabbitMQ's documented defaults: 10 retries, 500 ms apart. */
    public static final RetryPolicy DEFAULT =
            new RetryPolicy(DEFAULT_LIMIT, Duration.ofMillis(DEFAULT_INTERVAL_MILLIS));

    public RetryPolicy {
        Objects.requireNonNull(interval, "interval");
        if (limit < 1) {
            throw new IllegalArgumentException("retry limit must be at least 1, got " + limit);
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("retry interval must be positive, got " + interval);
        }
    }

    /**
     * Reads {@code cluster_formation.discovery_retry_limit} and
     * {@code cluster_formation.discovery_retry_interval} (milliseconds), each defaulting as
     * RabbitMQ does. Like RabbitMQ, both must be whole numbers greater than zero.
     *
     * @throws DiscoveryException naming the key when a value is not a positive whole number
     */
    public static RetryPolicy from(DiscoverySettings settings) {
        int limit = positive(settings, LIMIT_KEY, DEFAULT_LIMIT);
        int intervalMillis = positive(settings, INTERVAL_KEY, DEFAULT_INTERVAL_MILLIS);
        return new RetryPolicy(limit, Duration.ofMillis(intervalMillis));
    }

    /** The most attempts this policy allows: the first one plus {@code limit} retries. */
    public int maxAttempts() {
        return limit + 1;
    }

    private static int positive(DiscoverySettings settings, String key, int defaultValue) {
        int value = settings.getInt(key, defaultValue);
        if (value < 1) {
            throw new DiscoveryException(
                    "config key '" + key + "': expected a whole number greater than 0, got '"
                            + value + "'");
        }
        return value;
    }
}
