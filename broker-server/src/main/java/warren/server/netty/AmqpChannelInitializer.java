package warren.server.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import java.util.concurrent.TimeUnit;
import warren.core.broker.Broker;

/** Builds a connection's pipeline: protocol header, frame decoder, connection handler. */
final class AmqpChannelInitializer extends ChannelInitializer<Channel> {
    static final String PROTOCOL_HEADER = "protocol-header";
    static final String FRAME_DECODER = "frame-decoder";
    static final String CONNECTION = "connection";

    private final Broker broker;
    private final ChannelGroup connections;
    private final long handshakeTimeoutMs;

    /** @param connections where to track open connections (closed with the server); may be null */
    AmqpChannelInitializer(Broker broker, ChannelGroup connections) {
        this(broker, connections, 0);
    }

    /** @param handshakeTimeoutMs close a connection not open this long after accept; 0: never */
    AmqpChannelInitializer(Broker broker, ChannelGroup connections, long handshakeTimeoutMs) {
        this.broker = broker;
        this.connections = connections;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (connections != null) {
            connections.add(ch);
        }
        ConnectionHandler connection = new ConnectionHandler(broker, ch);
        ch.pipeline()
                .addLast(PROTOCOL_HEADER, new ProtocolHeaderHandler(connection::start))
                .addLast(FRAME_DECODER, connection.decoder())
                .addLast(CONNECTION, connection);
        if (handshakeTimeoutMs > 0) {
            var timer = ch.eventLoop().schedule(connection::onHandshakeTimeout, handshakeTimeoutMs, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> timer.cancel(false));
        }
    }
}
