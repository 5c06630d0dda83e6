package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Objects;

/**
 * A content header frame's payload (spec 4.2.6.1): class id, weight (always 0), body size, then the
 * property flags and fields. {@code rawProperties} holds the flags and fields exactly as received so they
 * can be forwarded without re-encoding; {@code properties} is their decoded form, or null for a class
 * other than {@code basic} (60), the only class with content.
 */
public record ContentHeader(int classId, long bodySize, BasicProperties properties, byte[] rawProperties) {
    /** Class id, weight and body size. */
    public static final int FIXED_SIZE = 2 + 2 + 8;

    private static final int BASIC_CLASS_ID = 60;

    /**
     * Reads a whole header frame payload. A payload too short for the fixed part raises
     * {@link ReplyCode#FRAME_ERROR}, a non-zero weight {@link ReplyCode#UNEXPECTED_FRAME} (as RabbitMQ),
     * malformed properties {@link ReplyCode#SYNTAX_ERROR}.
     */
    public static ContentHeader read(ByteBuf payload) {
        if (payload.readableBytes() < FIXED_SIZE) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR,
                    "content header of " + payload.readableBytes() + " octets is shorter than " + FIXED_SIZE);
        }
        int classId = payload.readUnsignedShort();
        int weight = payload.readUnsignedShort();
        if (weight != 0) {
            throw new ConnectionException(ReplyCode.UNEXPECTED_FRAME,
                    "content header weight must be 0, got " + weight);
        }
        long bodySize = payload.readLong();
        if (bodySize < 0) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR, "content body size " + Long.toUnsignedString(bodySize)
                    + " is too large");
        }
        byte[] raw = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), raw);
        BasicProperties properties = classId == BASIC_CLASS_ID ? BasicProperties.read(payload) : null;
        payload.readerIndex(payload.writerIndex());
        return new ContentHeader(classId, bodySize, properties, raw);
    }

    /** Writes a header frame payload with {@code rawProperties} (flags and fields) copied verbatim. */
    public static void write(ByteBuf out, int classId, long bodySize, byte[] rawProperties) {
        out.writeShort(classId);
        out.writeShort(0);
        out.writeLong(bodySize);
        out.writeBytes(rawProperties);
    }

    /** The flags and fields of {@code properties} as they appear in a header frame. */
    public static byte[] encodeProperties(BasicProperties properties) {
        ByteBuf buf = Unpooled.buffer(64);
        try {
            properties.write(buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ContentHeader that && classId == that.classId && bodySize == that.bodySize
                && Objects.equals(properties, that.properties)
                && Arrays.equals(rawProperties, that.rawProperties);
    }

    @Override
    public int hashCode() {
        return (31 * (31 * classId + Long.hashCode(bodySize)) + Objects.hashCode(properties)) * 31
                + Arrays.hashCode(rawProperties);
    }

    @Override
    public String toString() {
        return "ContentHeader[classId=" + classId + ", bodySize=" + bodySize + ", properties=" + properties
                + ", rawProperties=" + rawProperties.length + " octets]";
    }
}
