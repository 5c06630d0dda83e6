package warren.server.netty;

import java.net.InetSocketAddress;
import warren.core.broker.Broker;

/** The AMQP 0-9-1 listener: a Netty ServerBootstrap bridging sockets to core sessions. */
public final class AmqpServer implements AutoCloseable {
    private final Broker broker;
    private final String host;
    private final int port;

    public AmqpServer(Broker broker, String host, int port) {
        this.broker = broker;
        this.host = host;
        this.port = port;
    }

    /** Binds and returns the bound address (port 0 picks a free port). */
    public InetSocketAddress start() throws InterruptedException {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void close() {
    }
}
