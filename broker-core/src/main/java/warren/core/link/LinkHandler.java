package warren.core.link;

import io.netty.buffer.ByteBuf;

/**
 * Receives what arrives on one {@link LinkConnection}. Every method is called on the connection's
 * I/O thread, in order, and must not block.
 */
public interface LinkHandler {

    /** One whole frame (as sent by the peer's {@link LinkConnection#send}); released by the caller after return. */
    void onFrame(ByteBuf frame);

    /** The connection's writability changed (see {@link LinkConnection#isWritable()}). */
    default void onWritabilityChanged(boolean writable) {
    }

    /** The connection closed (peer gone, peer stopped, or closed here). Called once. */
    void onClose();
}
