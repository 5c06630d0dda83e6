package warren.core.amqp;

import io.netty.buffer.ByteBuf;

/**
 * A general frame (spec 4.2.3): type octet, channel short, payload size long, payload, end octet
 * {@code 0xCE}. The payload is a reference-counted buffer owned by whoever holds the frame.
 */
public record Frame(int type, int channel, ByteBuf payload) {
    public static final int TYPE_METHOD = 1;
    public static final int TYPE_HEADER = 2;
    public static final int TYPE_BODY = 3;
    public static final int TYPE_HEARTBEAT = 8;
    public static final int FRAME_END = 0xCE;
    /** Type, channel and payload size. */
    public static final int HEADER_SIZE = 7;
    /** Everything but the payload: {@link #HEADER_SIZE} plus the end octet. */
    public static final int OVERHEAD = HEADER_SIZE + 1;

    /** Whether {@code type} is one of the four frame types of AMQP 0-9-1. */
    public static boolean isKnownType(int type) {
        return type == TYPE_METHOD || type == TYPE_HEADER || type == TYPE_BODY || type == TYPE_HEARTBEAT;
    }
}
