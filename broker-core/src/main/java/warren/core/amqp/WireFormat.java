package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Primitive AMQP 0-9-1 domains (spec section 4.2.5): short strings, long strings and the
 * big-endian integers Netty already provides. Readers signal truncation with
 * {@link IndexOutOfBoundsException}; callers turn that into the right reply code.
 */
final class WireFormat {
    /** The longest short string: its length is a single octet (spec 4.2.5.3). */
    static final int SHORT_STRING_MAX = 255;

    private WireFormat() {
    }

    static String readShortString(ByteBuf in) {
        int length = in.readUnsignedByte();
        if (length > in.readableBytes()) {
            throw new IndexOutOfBoundsException(
                    "short string of " + length + " octets, only " + in.readableBytes() + " remain");
        }
        String value = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.skipBytes(length);
        return value;
    }

    /** Writes a short string; null is written as the empty string. */
    static void writeShortString(ByteBuf out, String value) {
        if (value == null || value.isEmpty()) {
            out.writeByte(0);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > SHORT_STRING_MAX) {
            throw new IllegalArgumentException(
                    "short string of " + bytes.length + " octets exceeds 255: " + value.substring(0, 32) + "...");
        }
        out.writeByte(bytes.length);
        out.writeBytes(bytes);
    }

    static byte[] readLongStringBytes(ByteBuf in) {
        long length = in.readUnsignedInt();
        if (length > in.readableBytes()) {
            throw new IndexOutOfBoundsException(
                    "long string of " + length + " octets, only " + in.readableBytes() + " remain");
        }
        byte[] bytes = new byte[(int) length];
        in.readBytes(bytes);
        return bytes;
    }

    static LongString readLongString(ByteBuf in) {
        return LongString.wrap(readLongStringBytes(in));
    }

    static void writeLongString(ByteBuf out, byte[] bytes) {
        out.writeInt(bytes.length);
        out.writeBytes(bytes);
    }

    /** Writes a long string; null is written as the empty string. */
    static void writeLongString(ByteBuf out, LongString value) {
        if (value == null) {
            out.writeInt(0);
            return;
        }
        writeLongString(out, value.unsafeBytes());
    }
}
