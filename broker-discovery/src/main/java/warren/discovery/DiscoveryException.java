package warren.discovery;

/**
 * A peer discovery failure: either a misconfiguration (reported when a backend is loaded or
 * created, naming the {@code cluster_formation.*} key and value) or a backend that could not be
 * asked (reported by {@link PeerDiscovery#discover()}, and retried by the caller under the
 * backend's {@link RetryPolicy}).
 *
 * <p>Unchecked, like the broker's other failure types: the formation flow catches it in exactly
 * one place, and configuration errors should travel straight to the daemon's main.
 */
public final class DiscoveryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DiscoveryException(String message) {
        super(message);
    }

    public DiscoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
