package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AMQP field tables and arrays (spec 4.2.5.5) with the type tags RabbitMQ actually uses, which differ
 * from the 0-9-1 XML (see RabbitMQ's "AMQP 0-9-1 errata"): {@code t} boolean, {@code b}/{@code B} signed and
 * unsigned octet, {@code s}/{@code u} signed and unsigned short, {@code I}/{@code i} signed and unsigned int,
 * {@code l} signed long long, {@code f} float, {@code d} double, {@code D} decimal, {@code S} long string,
 * {@code A} array, {@code T} timestamp, {@code F} table, {@code V} void, {@code x} byte array.
 *
 * <p>Decoded Java types: t Boolean, b Byte, B Integer, s Short, u Integer, I Integer, i Long, l (and the
 * non-standard {@code L}, as RabbitMQ) Long, f Float, d Double, D BigDecimal, S {@link LongString}, A
 * {@code List<Object>}, T Date (second precision), F {@code Map<String, Object>} (insertion order), V null,
 * x byte[].
 *
 * <p>Encodable Java types: the above plus String (as {@code S}); Integer is written {@code I}, Long {@code l}.
 * Any other value type is rejected with {@link IllegalArgumentException}.
 */
public final class FieldTable {
    /** Tables and arrays nested deeper than this are refused when decoding. */
    public static final int MAX_DEPTH = 100;

    private FieldTable() {
    }

    /**
     * Reads a table: its 4-octet length, then that many octets of name/value pairs. Consumes exactly the
     * table. Malformed input raises {@link ConnectionException} with {@link ReplyCode#SYNTAX_ERROR}.
     */
    public static Map<String, Object> read(ByteBuf buf) {
        try {
            return readTable(buf, 0);
        } catch (IndexOutOfBoundsException e) {
            throw new ConnectionException(ReplyCode.SYNTAX_ERROR, "malformed field table: " + e.getMessage());
        }
    }

    /** Writes {@code table} with its length prefix; null is written as the empty table. */
    public static void write(ByteBuf buf, Map<String, Object> table) {
        writeTable(buf, table);
    }

    /** The number of octets {@link #write} produces for {@code table}, length prefix included. */
    public static int encodedSize(Map<String, Object> table) {
        int size = 4;
        if (table != null) {
            for (Map.Entry<String, Object> entry : table.entrySet()) {
                size += 1 + utf8Length(entry.getKey()) + valueSize(entry.getValue());
            }
        }
        return size;
    }

    private static Map<String, Object> readTable(ByteBuf in, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ConnectionException(ReplyCode.SYNTAX_ERROR,
                    "field table nesting deeper than " + MAX_DEPTH);
        }
        ByteBuf content = readSized(in, "field table");
        Map<String, Object> table = new LinkedHashMap<>();
        while (content.isReadable()) {
            String name = WireFormat.readShortStringLenient(content);
            table.put(name, readValue(content, depth));
        }
        return table;
    }

    private static List<Object> readArray(ByteBuf in, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ConnectionException(ReplyCode.SYNTAX_ERROR,
                    "field array nesting deeper than " + MAX_DEPTH);
        }
        ByteBuf content = readSized(in, "field array");
        List<Object> array = new ArrayList<>();
        while (content.isReadable()) {
            array.add(readValue(content, depth));
        }
        return array;
    }

    /** Reads a 4-octet length and returns a slice of that many octets, checking it fits. */
    private static ByteBuf readSized(ByteBuf in, String what) {
        long length = in.readUnsignedInt();
        if (length > in.readableBytes()) {
            throw new ConnectionException(ReplyCode.SYNTAX_ERROR, what + " declares " + length
                    + " octets but only " + in.readableBytes() + " remain");
        }
        return in.readSlice((int) length);
    }

    private static Object readValue(ByteBuf in, int depth) {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case 't' -> in.readUnsignedByte() != 0;
            case 'b' -> in.readByte();
            case 'B' -> (int) in.readUnsignedByte();
            case 's' -> in.readShort();
            case 'u' -> in.readUnsignedShort();
            case 'I' -> in.readInt();
            case 'i' -> in.readUnsignedInt();
            case 'l', 'L' -> in.readLong();
            case 'f' -> in.readFloat();
            case 'd' -> in.readDouble();
            case 'D' -> {
                int scale = in.readUnsignedByte();
                yield new BigDecimal(BigInteger.valueOf(in.readInt()), scale);
            }
            case 'S' -> WireFormat.readLongString(in);
            case 'A' -> readArray(in, depth + 1);
            case 'T' -> new Date(in.readLong() * 1000L);
            case 'F' -> readTable(in, depth + 1);
            case 'V' -> null;
            case 'x' -> WireFormat.readLongStringBytes(in);
            default -> throw new ConnectionException(ReplyCode.SYNTAX_ERROR,
                    "unknown field value type tag 0x" + Integer.toHexString(tag));
        };
    }

    private static void writeTable(ByteBuf out, Map<String, Object> table) {
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        if (table != null) {
            for (Map.Entry<String, Object> entry : table.entrySet()) {
                WireFormat.writeShortString(out, entry.getKey());
                writeValue(out, entry.getValue());
            }
        }
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex - 4);
    }

    private static void writeArray(ByteBuf out, List<?> array) {
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        for (Object value : array) {
            writeValue(out, value);
        }
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex - 4);
    }

    @SuppressWarnings("unchecked")
    private static void writeValue(ByteBuf out, Object value) {
        if (value == null) {
            out.writeByte('V');
        } else if (value instanceof String s) {
            out.writeByte('S');
            WireFormat.writeLongString(out, s.getBytes(StandardCharsets.UTF_8));
        } else if (value instanceof LongString s) {
            out.writeByte('S');
            WireFormat.writeLongString(out, s);
        } else if (value instanceof Integer i) {
            out.writeByte('I');
            out.writeInt(i);
        } else if (value instanceof Long l) {
            out.writeByte('l');
            out.writeLong(l);
        } else if (value instanceof Boolean b) {
            out.writeByte('t');
            out.writeByte(b ? 1 : 0);
        } else if (value instanceof Map<?, ?> m) {
            out.writeByte('F');
            writeTable(out, (Map<String, Object>) m);
        } else if (value instanceof List<?> list) {
            out.writeByte('A');
            writeArray(out, list);
        } else if (value instanceof Date d) {
            out.writeByte('T');
            out.writeLong(d.getTime() / 1000L);
        } else if (value instanceof byte[] bytes) {
            out.writeByte('x');
            WireFormat.writeLongString(out, bytes);
        } else if (value instanceof BigDecimal d) {
            out.writeByte('D');
            writeDecimal(out, d);
        } else if (value instanceof Short s) {
            out.writeByte('s');
            out.writeShort(s);
        } else if (value instanceof Byte b) {
            out.writeByte('b');
            out.writeByte(b);
        } else if (value instanceof Float f) {
            out.writeByte('f');
            out.writeFloat(f);
        } else if (value instanceof Double d) {
            out.writeByte('d');
            out.writeDouble(d);
        } else {
            throw new IllegalArgumentException("cannot encode a " + value.getClass().getName() + " in a field table");
        }
    }

    /** Decimal (spec 4.2.5.5): an octet scale then a signed 32-bit unscaled value. */
    private static void writeDecimal(ByteBuf out, BigDecimal value) {
        if (value.scale() < 0 || value.scale() > 255) {
            throw new IllegalArgumentException("decimal scale out of range 0..255: " + value);
        }
        BigInteger unscaled = value.unscaledValue();
        if (unscaled.bitLength() > 31) {
            throw new IllegalArgumentException("decimal unscaled value does not fit 32 bits: " + value);
        }
        out.writeByte(value.scale());
        out.writeInt(unscaled.intValue());
    }

    private static int valueSize(Object value) {
        if (value == null) {
            return 1;
        } else if (value instanceof String s) {
            return 5 + utf8Length(s);
        } else if (value instanceof LongString s) {
            return 5 + s.length();
        } else if (value instanceof Integer || value instanceof Float) {
            return 5;
        } else if (value instanceof Long || value instanceof Date || value instanceof Double) {
            return 9;
        } else if (value instanceof Boolean || value instanceof Byte) {
            return 2;
        } else if (value instanceof Short) {
            return 3;
        } else if (value instanceof BigDecimal) {
            return 6;
        } else if (value instanceof byte[] bytes) {
            return 5 + bytes.length;
        } else if (value instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> table = (Map<String, Object>) m;
            return 1 + encodedSize(table);
        } else if (value instanceof List<?> list) {
            int size = 5;
            for (Object element : list) {
                size += valueSize(element);
            }
            return size;
        }
        throw new IllegalArgumentException("cannot encode a " + value.getClass().getName() + " in a field table");
    }

    private static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                length += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                length += 1; // an unpaired surrogate is encoded as '?'
            } else {
                length += 3;
            }
        }
        return length;
    }
}
