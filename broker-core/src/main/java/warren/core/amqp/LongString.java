package warren.core.amqp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An AMQP long string (spec 4.2.5.3, field-table tag {@code S}): up to 2^32-1 octets, not necessarily
 * UTF-8. Immutable: the bytes are copied in and out.
 */
public final class LongString {
    private static final LongString EMPTY = new LongString(new byte[0]);

    private final byte[] bytes;

    private LongString(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The UTF-8 encoding of {@code utf8}. */
    public static LongString of(String utf8) {
        return utf8.isEmpty() ? EMPTY : new LongString(utf8.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code bytes}. */
    public static LongString of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new LongString(bytes.clone());
    }

    /** Takes ownership of {@code bytes} without copying; for decoders only. */
    static LongString wrap(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new LongString(bytes);
    }

    /** A copy of the content. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The content without copying; callers in this package must not modify it. */
    byte[] unsafeBytes() {
        return bytes;
    }

    public int length() {
        return bytes.length;
    }

    /** The content decoded as UTF-8 (malformed input is replaced, not rejected). */
    @Override
    public String toString() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LongString that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
