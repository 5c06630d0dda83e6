package warren.server.config;

/**
 * A configuration problem an operator must fix before the node can start. The message names the
 * key (or environment variable), where it came from, the offending value and what is expected.
 */
public final class ConfigError extends RuntimeException {

    public ConfigError(String message) {
        super(message);
    }

    public ConfigError(String message, Throwable cause) {
        super(message, cause);
    }
}
