package warren.core.broker;

/**
 * One node's broker: vhosts, users, exchanges, queues and the stores under them.
 * Thread-safe; created once by the daemon and shared by every connection.
 */
public final class Broker implements AutoCloseable {
    private final BrokerSettings settings;

    public Broker(BrokerSettings settings) {
        this.settings = settings;
    }

    public BrokerSettings settings() {
        return settings;
    }

    public BrokerAdmin admin() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
