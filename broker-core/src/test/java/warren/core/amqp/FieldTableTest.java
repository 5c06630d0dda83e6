package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldTableTest {

    private static Map<String, Object> roundTrip(Map<String, Object> table) {
        ByteBuf buf = Unpooled.buffer();
        FieldTable.write(buf, table);
        assertEquals(FieldTable.encodedSize(table), buf.readableBytes(), "encodedSize");
        Map<String, Object> decoded = FieldTable.read(buf);
        assertEquals(0, buf.readableBytes());
        return decoded;
    }

    @Test
    void everyEncodableTypeDecodesToItsDocumentedJavaType() {
        Map<String, Object> table = new LinkedHashMap<>();
        table.put("bool", true);
        table.put("byte", (byte) -7);
        table.put("short", (short) -300);
        table.put("int", -70000);
        table.put("long", Long.MIN_VALUE);
        table.put("float", 1.5f);
        table.put("double", -2.25d);
        table.put("decimal", new BigDecimal("-123.45"));
        table.put("longstr", LongString.of("läng"));
        table.put("string", "plain");
        table.put("timestamp", new Date(1_700_000_000_000L));
        table.put("void", null);
        table.put("bytes", new byte[] {0, 1, (byte) 0xFF});
        table.put("array", List.of(1, "two", List.of(3L), Map.of("four", false)));
        table.put("table", Map.of("inner", Map.of("deeper", 5)));
        table.put("unicodé", "ключ");

        Map<String, Object> decoded = roundTrip(table);

        assertEquals(new ArrayList<>(table.keySet()), new ArrayList<>(decoded.keySet()), "insertion order");
        assertEquals(Boolean.TRUE, decoded.get("bool"));
        assertEquals((byte) -7, decoded.get("byte"));
        assertEquals((short) -300, decoded.get("short"));
        assertEquals(-70000, decoded.get("int"));
        assertEquals(Long.MIN_VALUE, decoded.get("long"));
        assertEquals(1.5f, decoded.get("float"));
        assertEquals(-2.25d, decoded.get("double"));
        assertEquals(new BigDecimal("-123.45"), decoded.get("decimal"));
        assertEquals(LongString.of("läng"), decoded.get("longstr"));
        assertEquals(LongString.of("plain"), decoded.get("string"), "strings come back as long strings");
        assertEquals(new Date(1_700_000_000_000L), decoded.get("timestamp"));
        assertTrue(decoded.containsKey("void"));
        assertEquals(null, decoded.get("void"));
        assertArrayEquals(new byte[] {0, 1, (byte) 0xFF}, (byte[]) decoded.get("bytes"));
        assertEquals(List.of(1, LongString.of("two"), List.of(3L), Map.of("four", false)), decoded.get("array"));
        assertEquals(Map.of("inner", Map.of("deeper", 5)), decoded.get("table"));
        assertEquals(LongString.of("ключ"), decoded.get("unicodé"));
        assertTrue(decoded instanceof LinkedHashMap);
    }

    @Test
    void unsignedTagsDecodeToWiderTypes() {
        ByteBuf buf = Unpooled.buffer();
        int lengthIndex = buf.writerIndex();
        buf.writeInt(0);
        buf.writeByte(1).writeByte('B').writeByte('B').writeByte(0xFF);
        buf.writeByte(1).writeByte('u').writeByte('u').writeShort(0xFFFF);
        buf.writeByte(1).writeByte('i').writeByte('i').writeInt(0xFFFFFFFF);
        buf.writeByte(1).writeByte('L').writeByte('L').writeLong(-1L);
        buf.setInt(lengthIndex, buf.writerIndex() - 4);

        Map<String, Object> decoded = FieldTable.read(buf);

        assertEquals(255, decoded.get("B"));
        assertEquals(65535, decoded.get("u"));
        assertEquals(4294967295L, decoded.get("i"));
        assertEquals(-1L, decoded.get("L"));
    }

    @Test
    void timestampsKeepSecondPrecision() {
        Map<String, Object> decoded = roundTrip(Map.of("t", new Date(1_700_000_000_999L)));
        assertEquals(new Date(1_700_000_000_000L), decoded.get("t"));
    }

    @Test
    void nullTableIsWrittenAsEmpty() {
        ByteBuf buf = Unpooled.buffer();
        FieldTable.write(buf, null);
        assertEquals(4, buf.readableBytes());
        assertEquals(Map.of(), FieldTable.read(buf));
    }

    @Test
    void tableLongerThanTheBufferIsASyntaxError() {
        ByteBuf buf = Unpooled.buffer().writeInt(100).writeBytes(new byte[10]);
        ConnectionException e = assertThrows(ConnectionException.class, () -> FieldTable.read(buf));
        assertEquals(ReplyCode.SYNTAX_ERROR, e.replyCode());
    }

    @Test
    void valueOverrunningItsTableIsASyntaxError() {
        ByteBuf buf = Unpooled.buffer().writeInt(4).writeByte(1).writeByte('k').writeByte('I').writeByte(0)
                .writeBytes(new byte[3]); // the int's last three octets lie outside the table
        ConnectionException e = assertThrows(ConnectionException.class, () -> FieldTable.read(buf));
        assertEquals(ReplyCode.SYNTAX_ERROR, e.replyCode());
    }

    @Test
    void unknownTypeTagIsASyntaxError() {
        ByteBuf buf = Unpooled.buffer().writeInt(3).writeByte(1).writeByte('k').writeByte('Q');
        ConnectionException e = assertThrows(ConnectionException.class, () -> FieldTable.read(buf));
        assertEquals(ReplyCode.SYNTAX_ERROR, e.replyCode());
        assertTrue(e.getMessage().contains("0x51"), e.getMessage());
    }

    @Test
    void nestingDeeperThanAHundredIsASyntaxError() {
        assertEquals(Map.of(), innermost(roundTrip(nested(FieldTable.MAX_DEPTH))));
        ByteBuf buf = Unpooled.buffer();
        FieldTable.write(buf, nested(FieldTable.MAX_DEPTH + 1));
        ConnectionException e = assertThrows(ConnectionException.class, () -> FieldTable.read(buf));
        assertEquals(ReplyCode.SYNTAX_ERROR, e.replyCode());
    }

    @Test
    void deeplyNestedArraysAreRefusedToo() {
        Object value = List.of();
        for (int i = 0; i < 200; i++) {
            value = List.of(value);
        }
        ByteBuf buf = Unpooled.buffer();
        FieldTable.write(buf, Map.of("a", value));
        assertThrows(ConnectionException.class, () -> FieldTable.read(buf));
    }

    @Test
    void unencodableValueIsAnIllegalArgument() {
        ByteBuf buf = Unpooled.buffer();
        assertThrows(IllegalArgumentException.class, () -> FieldTable.write(buf, Map.of("k", new Object())));
        assertThrows(IllegalArgumentException.class,
                () -> FieldTable.write(buf, Map.of("k", new BigDecimal("12345678901234567890"))));
    }

    @Test
    void longStringEqualityIsByContent() {
        assertEquals(LongString.of("abc"), LongString.of(new byte[] {'a', 'b', 'c'}));
        assertEquals(LongString.of("abc").hashCode(), LongString.of(new byte[] {'a', 'b', 'c'}).hashCode());
        assertEquals("abc", LongString.of("abc").toString());
        byte[] copy = LongString.of("abc").bytes();
        copy[0] = 'z';
        assertTrue(Arrays.equals(new byte[] {'a', 'b', 'c'}, LongString.of("abc").bytes()));
    }

    /** Depth 0 is one table; depth n wraps it in n more. */
    private static Map<String, Object> nested(int depth) {
        Map<String, Object> table = Map.of();
        for (int i = 0; i < depth; i++) {
            table = Map.of("n", table);
        }
        return table;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> innermost(Map<String, Object> table) {
        while (table.containsKey("n")) {
            table = (Map<String, Object>) table.get("n");
        }
        return table;
    }
}
