package warren.core.link;

import io.netty.buffer.ByteBuf;

/**
 * One authenticated connection of the inter-node data link, as the broker sees it. The transport
 * (broker-cluster) frames, authenticates and batches; the broker only reads and writes whole frames.
 *
 * <p>Connections are one-way in purpose: the node that dialled ("client") sends requests about
 * queues that live on the node it dialled ("home") — publishes, consumes, gets, settlements — and
 * the home node answers on the same connection (results, deliveries, confirms, cancellations).
 * Everything the home node keeps for the client (its consumers, its unsettled deliveries) belongs
 * to the connection and is given back when it closes.
 */
public interface LinkConnection {

    /** The node at the other end (its node name, as the cluster names it). */
    String peer();

    /**
     * Queues one frame (the link takes ownership of the buffer and releases it). Frames are written
     * in order; the transport flushes batches, so many small frames cost one syscall. A frame sent
     * after the connection closed is released and dropped.
     */
    void send(ByteBuf frame);

    /** False while the outbound buffer is over its high-water mark: stop producing until told writable. */
    boolean isWritable();

    /** Stops (false) or resumes (true) reading from the peer: back-pressure on what it sends us. */
    void setAutoRead(boolean read);

    /** Whether the connection is still open. */
    boolean isOpen();

    /** Closes the connection (its handler's {@link LinkHandler#onClose()} runs). */
    void close();
}
