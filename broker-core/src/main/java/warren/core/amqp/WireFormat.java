package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
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

    /**
     * Reads a short string that must be well-formed UTF-8 (names, consumer tags, routing keys of
     * bindings, vhosts: RabbitMQ refuses malformed ones with 501 FRAME_ERROR "Malformed UTF-8 in
     * shortstr"). Encoded surrogates and code points above U+10FFFF are malformed here too.
     *
     * @throws MalformedUtf8Exception if the octets are not UTF-8
     */
    static String readShortString(ByteBuf in) {
        int length = shortStringLength(in);
        int start = in.readerIndex();
        String value;
        if (isAscii(in, start, length)) {
            value = in.toString(start, length, StandardCharsets.US_ASCII);
        } else {
            try {
                value = StandardCharsets.UTF_8.newDecoder().decode(in.nioBuffer(start, length)).toString();
            } catch (CharacterCodingException e) {
                throw new MalformedUtf8Exception();
            }
        }
        in.skipBytes(length);
        return value;
    }

    /**
     * Reads a short string without checking its encoding (malformed octets become U+FFFD), for the
     * fields RabbitMQ does not check either: basic.publish's exchange and routing key, content
     * header properties and field table keys.
     */
    static String readShortStringLenient(ByteBuf in) {
        int length = shortStringLength(in);
        String value = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
        in.skipBytes(length);
        return value;
    }

    private static int shortStringLength(ByteBuf in) {
        int length = in.readUnsignedByte();
        if (length > in.readableBytes()) {
            throw new IndexOutOfBoundsException(
                    "short string of " + length + " octets, only " + in.readableBytes() + " remain");
        }
        return length;
    }

    private static boolean isAscii(ByteBuf in, int start, int length) {
        for (int i = start; i < start + length; i++) {
            if (in.getByte(i) < 0) {
                return false;
            }
        }
        return true;
    }

    /** A short string that was not UTF-8; the method decoder turns it into RabbitMQ's 501. */
    static final class MalformedUtf8Exception extends RuntimeException {
        MalformedUtf8Exception() {
            super("Malformed UTF-8 in shortstr", null, false, false);
        }
    }

    /**
     * Writes a short string; null is written as the empty string. A value longer than 255 octets
     * (only possible for text built from what a client sent, e.g. a lenient routing key with
     * U+FFFD) is cut to fit on a character boundary, so no encoding ever fails for its length.
     */
    static void writeShortString(ByteBuf out, String value) {
        writeShortString(out, value, "");
    }

    /**
     * Writes a reply-text (channel.close, connection.close, basic.return): one longer than 255
     * octets is cut on a character boundary and ends with "...", as RabbitMQ cuts its texts.
     */
    static void writeReplyText(ByteBuf out, String value) {
        writeShortString(out, value, "...");
    }

    private static void writeShortString(ByteBuf out, String value, String cutMark) {
        if (value == null || value.isEmpty()) {
            out.writeByte(0);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= SHORT_STRING_MAX) {
            out.writeByte(bytes.length);
            out.writeBytes(bytes);
            return;
        }
        int keep = utf8Boundary(bytes, SHORT_STRING_MAX - cutMark.length());
        out.writeByte(keep + cutMark.length());
        out.writeBytes(bytes, 0, keep);
        out.writeCharSequence(cutMark, StandardCharsets.US_ASCII);
    }

    /** The largest length {@code <= max} that does not split a UTF-8 character of {@code bytes}. */
    static int utf8Boundary(byte[] bytes, int max) {
        int n = Math.min(max, bytes.length);
        while (n > 0 && n < bytes.length && (bytes[n] & 0xC0) == 0x80) {
            n--; // bytes[n] continues the character that starts before it: cut before that one
        }
        return n;
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
