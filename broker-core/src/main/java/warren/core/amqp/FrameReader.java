package warren.core.amqp;

import io.netty.buffer.ByteBuf;

/**
 * Splits a byte stream into {@link Frame}s (spec 4.2.3). Not a Netty handler: feed it the cumulated
 * input and call {@link #read} until it returns null. Errors are the ones RabbitMQ's reader raises, all
 * {@link ReplyCode#FRAME_ERROR} (501): an oversize frame (detected from the 7-octet header, before its
 * payload is buffered), an unknown frame type, a bad end octet, or a heartbeat frame with a payload.
 */
public final class FrameReader {
    private int maxFrameSize;

    /**
     * @param maxFrameSize the negotiated frame-max, which counts the 8 octets of frame overhead;
     *     0 means unlimited
     */
    public FrameReader(int maxFrameSize) {
        setMaxFrameSize(maxFrameSize);
    }

    /** Changes the limit, e.g. once connection.tune-ok has fixed frame-max. */
    public void setMaxFrameSize(int maxFrameSize) {
        if (maxFrameSize < 0) {
            throw new IllegalArgumentException("negative frame size " + maxFrameSize);
        }
        this.maxFrameSize = maxFrameSize;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * Consumes one whole frame from {@code in} and returns it, its payload a retained slice of {@code in}
     * that the caller must release; or returns null, consuming nothing, when the frame is not complete yet.
     *
     * @throws ConnectionException with {@link ReplyCode#FRAME_ERROR} for a malformed frame
     */
    public Frame read(ByteBuf in) {
        if (in.readableBytes() < Frame.HEADER_SIZE) {
            return null;
        }
        int start = in.readerIndex();
        int type = in.getUnsignedByte(start);
        int channel = in.getUnsignedShort(start + 1);
        long size = in.getUnsignedInt(start + 3);
        long frameSize = size + Frame.OVERHEAD;
        if (maxFrameSize != 0 && frameSize > maxFrameSize) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR,
                    "frame size " + frameSize + " exceeds frame_max " + maxFrameSize);
        }
        if (frameSize > Integer.MAX_VALUE) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR, "frame size " + frameSize + " is too large");
        }
        if (!Frame.isKnownType(type)) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR, "unknown frame type " + type);
        }
        if (type == Frame.TYPE_HEARTBEAT && size != 0) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR, "heartbeat frame with a payload of " + size + " octets");
        }
        if (in.readableBytes() < frameSize) {
            return null;
        }
        int end = in.getUnsignedByte(start + Frame.HEADER_SIZE + (int) size);
        if (end != Frame.FRAME_END) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR,
                    String.format("frame end octet 0x%02X not 0xCE", end));
        }
        in.skipBytes(Frame.HEADER_SIZE);
        ByteBuf payload = in.readRetainedSlice((int) size);
        in.skipBytes(1);
        return new Frame(type, channel, payload);
    }
}
