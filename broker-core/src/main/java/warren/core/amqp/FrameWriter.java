package warren.core.amqp;

import io.netty.buffer.ByteBuf;

/**
 * Writes frames (spec 4.2.3) straight into an output buffer; the size field is backfilled once the
 * payload is written, so no per-frame buffer is needed.
 */
public final class FrameWriter {
    private FrameWriter() {
    }

    /** A method frame; if the method cannot be encoded nothing is left written. */
    public static void writeMethod(ByteBuf out, int channel, Method method) {
        int start = out.writerIndex();
        int sizeIndex = beginFrame(out, Frame.TYPE_METHOD, channel);
        try {
            MethodCodec.encode(method, out);
        } catch (RuntimeException e) {
            out.writerIndex(start);
            throw e;
        }
        endFrame(out, sizeIndex);
    }

    public static void writeHeartbeat(ByteBuf out) {
        out.writeByte(Frame.TYPE_HEARTBEAT);
        out.writeShort(0);
        out.writeInt(0);
        out.writeByte(Frame.FRAME_END);
    }

    /** A content header frame carrying {@code rawProperties} (flags and fields) verbatim. */
    public static void writeHeader(ByteBuf out, int channel, int classId, long bodySize, byte[] rawProperties) {
        int sizeIndex = beginFrame(out, Frame.TYPE_HEADER, channel);
        ContentHeader.write(out, classId, bodySize, rawProperties);
        endFrame(out, sizeIndex);
    }

    /**
     * Writes a content-bearing method (spec 2.3.5.2): the method frame, the content header frame, then body
     * frames of at most {@code frameMax} octets each, overhead included (0 = unlimited). An empty body
     * gets no body frame.
     */
    public static void writeContent(ByteBuf out, int channel, Method method, byte[] rawProperties, byte[] body,
            int frameMax) {
        if (frameMax != 0 && frameMax <= Frame.OVERHEAD) {
            throw new IllegalArgumentException("frame_max " + frameMax + " leaves no room for a payload");
        }
        writeMethod(out, channel, method);
        writeHeader(out, channel, method.classId(), body.length, rawProperties);
        int chunk = frameMax == 0 ? Integer.MAX_VALUE : frameMax - Frame.OVERHEAD;
        for (int offset = 0; offset < body.length; offset += chunk) {
            int length = Math.min(chunk, body.length - offset);
            out.writeByte(Frame.TYPE_BODY);
            out.writeShort(channel);
            out.writeInt(length);
            out.writeBytes(body, offset, length);
            out.writeByte(Frame.FRAME_END);
        }
    }

    private static int beginFrame(ByteBuf out, int type, int channel) {
        out.writeByte(type);
        out.writeShort(channel);
        int sizeIndex = out.writerIndex();
        out.writeInt(0);
        return sizeIndex;
    }

    private static void endFrame(ByteBuf out, int sizeIndex) {
        out.setInt(sizeIndex, out.writerIndex() - sizeIndex - 4);
        out.writeByte(Frame.FRAME_END);
    }
}
