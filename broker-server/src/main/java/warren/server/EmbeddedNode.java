package warren.server;

import java.util.Map;
import warren.core.broker.Broker;

/**
 * A whole node in this JVM, for tests and embedding: config (reference defaults + the given
 * overrides, keys as in warren.conf), broker, AMQP listener and control listener.
 */
public final class EmbeddedNode implements AutoCloseable {

    /** Starts a node; {@code overrides} use warren.conf keys, e.g. {@code listeners.tcp.default = 127.0.0.1:0}. */
    public static EmbeddedNode start(Map<String, String> overrides) {
        throw new UnsupportedOperationException("not yet");
    }

    public int amqpPort() {
        throw new UnsupportedOperationException("not yet");
    }

    public Broker broker() {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
