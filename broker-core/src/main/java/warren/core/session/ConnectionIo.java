package warren.core.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * What a connection session needs from its transport. The server's Netty handler implements it;
 * every method except {@link #execute} and {@link #isWritable} is called on the connection's own
 * thread (its event loop).
 */
public interface ConnectionIo {

    ByteBufAllocator alloc();

    /** Queues bytes for the socket; sent at the next {@link #flush()}. */
    void write(ByteBuf frames);

    void flush();

    /** Flushes what is queued, then closes the socket. */
    void closeAfterFlush();

    /** Runs a task on the connection's thread (safe from any thread). */
    void execute(Runnable task);

    /**
     * Runs a task on the connection's thread after the socket I/O waiting there now: the next slice
     * of a long piece of work (e.g. giving back 200k unacked deliveries), so other connections on
     * the same thread are served in between. Defaults to {@link #execute}.
     */
    default void executeLater(Runnable task) {
        execute(task);
    }

    /** Whether the socket's outbound buffer has room (safe from any thread). */
    boolean isWritable();

    /** Pauses or resumes reading from the socket (memory alarm). */
    void setReading(boolean reading);

    /** Starts heartbeats: send one every {@code seconds}, drop the peer after two silent intervals. */
    void startHeartbeats(int seconds);

    /** The negotiated frame_max, for the frame reader. */
    void setMaxFrameSize(int frameMax);

    String peerHost();

    int peerPort();

    boolean peerIsLoopback();

    String localHost();

    int localPort();
}
