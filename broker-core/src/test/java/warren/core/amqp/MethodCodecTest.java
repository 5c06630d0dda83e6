package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import warren.core.amqp.method.AccessRequest;
import warren.core.amqp.method.AccessRequestOk;
import warren.core.amqp.method.BasicAck;
import warren.core.amqp.method.BasicCancel;
import warren.core.amqp.method.BasicCancelOk;
import warren.core.amqp.method.BasicConsume;
import warren.core.amqp.method.BasicConsumeOk;
import warren.core.amqp.method.BasicDeliver;
import warren.core.amqp.method.BasicGet;
import warren.core.amqp.method.BasicGetEmpty;
import warren.core.amqp.method.BasicGetOk;
import warren.core.amqp.method.BasicNack;
import warren.core.amqp.method.BasicPublish;
import warren.core.amqp.method.BasicQos;
import warren.core.amqp.method.BasicQosOk;
import warren.core.amqp.method.BasicRecover;
import warren.core.amqp.method.BasicRecoverAsync;
import warren.core.amqp.method.BasicRecoverOk;
import warren.core.amqp.method.BasicReject;
import warren.core.amqp.method.BasicReturn;
import warren.core.amqp.method.ChannelClose;
import warren.core.amqp.method.ChannelCloseOk;
import warren.core.amqp.method.ChannelFlow;
import warren.core.amqp.method.ChannelFlowOk;
import warren.core.amqp.method.ChannelOpen;
import warren.core.amqp.method.ChannelOpenOk;
import warren.core.amqp.method.ConfirmSelect;
import warren.core.amqp.method.ConfirmSelectOk;
import warren.core.amqp.method.ConnectionBlocked;
import warren.core.amqp.method.ConnectionClose;
import warren.core.amqp.method.ConnectionCloseOk;
import warren.core.amqp.method.ConnectionOpen;
import warren.core.amqp.method.ConnectionOpenOk;
import warren.core.amqp.method.ConnectionSecure;
import warren.core.amqp.method.ConnectionSecureOk;
import warren.core.amqp.method.ConnectionStart;
import warren.core.amqp.method.ConnectionStartOk;
import warren.core.amqp.method.ConnectionTune;
import warren.core.amqp.method.ConnectionTuneOk;
import warren.core.amqp.method.ConnectionUnblocked;
import warren.core.amqp.method.ConnectionUpdateSecret;
import warren.core.amqp.method.ConnectionUpdateSecretOk;
import warren.core.amqp.method.ExchangeBind;
import warren.core.amqp.method.ExchangeBindOk;
import warren.core.amqp.method.ExchangeDeclare;
import warren.core.amqp.method.ExchangeDeclareOk;
import warren.core.amqp.method.ExchangeDelete;
import warren.core.amqp.method.ExchangeDeleteOk;
import warren.core.amqp.method.ExchangeUnbind;
import warren.core.amqp.method.ExchangeUnbindOk;
import warren.core.amqp.method.QueueBind;
import warren.core.amqp.method.QueueBindOk;
import warren.core.amqp.method.QueueDeclare;
import warren.core.amqp.method.QueueDeclareOk;
import warren.core.amqp.method.QueueDelete;
import warren.core.amqp.method.QueueDeleteOk;
import warren.core.amqp.method.QueuePurge;
import warren.core.amqp.method.QueuePurgeOk;
import warren.core.amqp.method.QueueUnbind;
import warren.core.amqp.method.QueueUnbindOk;
import warren.core.amqp.method.TxCommit;
import warren.core.amqp.method.TxCommitOk;
import warren.core.amqp.method.TxRollback;
import warren.core.amqp.method.TxRollbackOk;
import warren.core.amqp.method.TxSelect;
import warren.core.amqp.method.TxSelectOk;

class MethodCodecTest {

    static List<Method> allMethods() {
        return List.of(
                new ConnectionStart(200, 201, Map.of("k2", 2, "nested", Map.of("x", LongString.of("y"))), LongString.of("mechanisms\u00003"), LongString.of("locales\u00004")),
                new ConnectionStartOk(Map.of("k0", 0, "nested", Map.of("x", LongString.of("y"))), "mechanism-é1", LongString.of("response\u00002"), "locale-é3"),
                new ConnectionSecure(LongString.of("challenge\u00000")),
                new ConnectionSecureOk(LongString.of("response\u00000")),
                new ConnectionTune(65000, -4, 65002),
                new ConnectionTuneOk(65000, -4, 65002),
                new ConnectionOpen("virtual-host-é0"),
                new ConnectionOpenOk(),
                new ConnectionClose(65000, "reply-text-é1", 65002, 65003),
                new ConnectionCloseOk(),
                new ConnectionBlocked("reason-é0"),
                new ConnectionUnblocked(),
                new ConnectionUpdateSecret(LongString.of("new-secret\u00000"), "reason-é1"),
                new ConnectionUpdateSecretOk(),
                new ChannelOpen(),
                new ChannelOpenOk(),
                new ChannelFlow(true),
                new ChannelFlowOk(true),
                new ChannelClose(65000, "reply-text-é1", 65002, 65003),
                new ChannelCloseOk(),
                new AccessRequest("realm-é0", false, true, false, true, false),
                new AccessRequestOk(),
                new ExchangeDeclare("exchange-é0", "type-é1", true, false, true, false, true, Map.of("k7", 7, "nested", Map.of("x", LongString.of("y")))),
                new ExchangeDeclareOk(),
                new ExchangeDelete("exchange-é0", false, true),
                new ExchangeDeleteOk(),
                new ExchangeBind("destination-é0", "source-é1", "routing-key-é2", false, Map.of("k4", 4, "nested", Map.of("x", LongString.of("y")))),
                new ExchangeBindOk(),
                new ExchangeUnbind("destination-é0", "source-é1", "routing-key-é2", false, Map.of("k4", 4, "nested", Map.of("x", LongString.of("y")))),
                new ExchangeUnbindOk(),
                new QueueDeclare("queue-é0", false, true, false, true, false, Map.of("k6", 6, "nested", Map.of("x", LongString.of("y")))),
                new QueueDeclareOk("queue-é0", 131073, 131074),
                new QueueBind("queue-é0", "exchange-é1", "routing-key-é2", false, Map.of("k4", 4, "nested", Map.of("x", LongString.of("y")))),
                new QueueBindOk(),
                new QueuePurge("queue-é0", false),
                new QueuePurgeOk(131072),
                new QueueDelete("queue-é0", false, true, false),
                new QueueDeleteOk(131072),
                new QueueUnbind("queue-é0", "exchange-é1", "routing-key-é2", Map.of("k3", 3, "nested", Map.of("x", LongString.of("y")))),
                new QueueUnbindOk(),
                new BasicQos(131072, 65001, true),
                new BasicQosOk(),
                new BasicConsume("queue-é0", "consumer-tag-é1", true, false, true, false, Map.of("k6", 6, "nested", Map.of("x", LongString.of("y")))),
                new BasicConsumeOk("consumer-tag-é0"),
                new BasicCancel("consumer-tag-é0", false),
                new BasicCancelOk("consumer-tag-é0"),
                new BasicPublish("exchange-é0", "routing-key-é1", true, false),
                new BasicReturn(65000, "reply-text-é1", "exchange-é2", "routing-key-é3"),
                new BasicDeliver("consumer-tag-é0", 1099511627777L, true, "exchange-é3", "routing-key-é4"),
                new BasicGet("queue-é0", false),
                new BasicGetOk(1099511627776L, false, "exchange-é2", "routing-key-é3", 131076),
                new BasicGetEmpty(),
                new BasicAck(1099511627776L, false),
                new BasicReject(1099511627776L, false),
                new BasicRecoverAsync(true),
                new BasicRecover(true),
                new BasicRecoverOk(),
                new BasicNack(1099511627776L, false, true),
                new TxSelect(),
                new TxSelectOk(),
                new TxCommit(),
                new TxCommitOk(),
                new TxRollback(),
                new TxRollbackOk(),
                new ConfirmSelect(true),
                new ConfirmSelectOk()
        );
    }

    private static ByteBuf encode(Method method) {
        ByteBuf buf = Unpooled.buffer();
        MethodCodec.encode(method, buf);
        return buf;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allMethods")
    void everyMethodSurvivesAnEncodeDecodeRoundTrip(Method method) {
        ByteBuf buf = encode(method);
        Method decoded = MethodCodec.decode(buf);
        assertEquals(method, decoded);
        assertEquals(0, buf.readableBytes(), "decode consumes exactly the arguments");
        assertEquals(method.name(), MethodCodec.methodName(method.classId(), method.methodId()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allMethods")
    void everyTruncationOfEveryMethodIsAFrameErrorAsInRabbitMq(Method method) {
        ByteBuf buf = encode(method);
        for (int length = 4; length < buf.readableBytes(); length++) {
            ByteBuf truncated = buf.slice(0, length);
            ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(truncated),
                    () -> "truncated to " + truncated.readableBytes());
            assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
            assertEquals(method.classId(), e.classId());
            assertEquals(method.methodId(), e.methodId());
            assertTrue(e.getMessage().contains(method.name()), e.getMessage());
        }
    }

    @Test
    void theSampleCoversEveryMethodOnce() {
        Set<Integer> keys = new HashSet<>();
        for (Method method : allMethods()) {
            assertTrue(keys.add((method.classId() << 16) | method.methodId()), method.name());
        }
        assertEquals(66, keys.size());
    }

    @Test
    void contentBearingMethodsAreExactlyPublishReturnDeliverAndGetOk() {
        Set<String> content = new HashSet<>();
        for (Method method : allMethods()) {
            if (method.hasContent()) {
                content.add(method.name());
            }
        }
        assertEquals(Set.of("basic.publish", "basic.return", "basic.deliver", "basic.get-ok"), content);
    }

    @Test
    void queueDeclareIsEncodedWithReservedTicketAndPackedBits() {
        ByteBuf buf = encode(new QueueDeclare("q", false, true, false, true, true, null));
        String expected = "0032" + "000a" + "0000" + "0171" + "1a" + "00000000";
        assertEquals(expected, ByteBufUtil.hexDump(buf));
    }

    @Test
    void connectionOpenWritesItsReservedFieldsAsEmpty() {
        ByteBuf buf = encode(new ConnectionOpen("/"));
        assertEquals("000a" + "0028" + "012f" + "00" + "00", ByteBufUtil.hexDump(buf));
    }

    @Test
    void rabbitMqNumbersExchangeUnbindOkFiftyOne() {
        assertEquals(40, ExchangeUnbindOk.CLASS_ID);
        assertEquals(51, ExchangeUnbindOk.METHOD_ID);
        assertEquals("exchange.unbind-ok", MethodCodec.methodName(40, 51));
    }

    @Test
    void nullStringsAndTablesBecomeEmpty() {
        QueueBind bind = new QueueBind(null, null, null, false, null);
        assertEquals("", bind.queue());
        assertEquals(Map.of(), bind.arguments());
    }

    @Test
    void unknownMethodIsCommandInvalid() {
        ByteBuf buf = Unpooled.buffer().writeShort(60).writeShort(999);
        ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
        assertEquals(ReplyCode.COMMAND_INVALID, e.replyCode());
        assertEquals(60, e.classId());
        assertEquals(999, e.methodId());
    }

    @Test
    void unknownClassIsCommandInvalid() {
        ByteBuf buf = Unpooled.buffer().writeShort(77).writeShort(10);
        ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
        assertEquals(ReplyCode.COMMAND_INVALID, e.replyCode());
    }

    @Test
    void methodFrameWithoutIdsIsAFrameError() {
        ByteBuf buf = Unpooled.buffer().writeShort(60);
        ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
    }

    @Test
    void shortStringLongerThanTheRemainingOctetsIsAFrameError() {
        ByteBuf buf = Unpooled.buffer().writeShort(60).writeShort(21).writeByte(10).writeBytes(new byte[] {'a', 'b'});
        ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
        assertTrue(e.getMessage().contains("basic.consume-ok"), e.getMessage());
    }

    @Test
    void malformedArgumentTableIsAFrameErrorNamingTheMethod() {
        ByteBuf buf = encode(new QueueDeclare("q", false, false, false, false, false, Map.of("a", 1)));
        buf.setByte(buf.writerIndex() - 5, 'Z'); // the value's type tag
        ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
        assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
        assertEquals(QueueDeclare.CLASS_ID, e.classId());
        assertTrue(e.getMessage().contains("queue.declare"), e.getMessage());
    }

    @Test
    void trailingOctetsAfterTheArgumentsAreIgnored() {
        ByteBuf buf = encode(new BasicAck(42, true)).writeBytes(new byte[] {1, 2, 3});
        assertEquals(new BasicAck(42, true), MethodCodec.decode(buf));
    }

    @Test
    void shortStringOverTwoHundredFiftyFiveOctetsIsCutOnACharacterBoundary() {
        ByteBuf buf = Unpooled.buffer();
        MethodCodec.encode(new BasicConsumeOk("x".repeat(255)), buf);
        assertEquals(4 + 1 + 255, buf.readableBytes());
        // a lenient routing key full of U+FFFD (3 octets each) re-encodes above 255: cut, never an error
        BasicDeliver deliver = new BasicDeliver("t", 1, false, "", "\uFFFD".repeat(200));
        BasicDeliver cut = (BasicDeliver) MethodCodec.decode(encode(deliver));
        assertEquals("\uFFFD".repeat(85), cut.routingKey());
    }

    @Test
    void replyTextsLongerThanAShortStringAreCutWithAnEllipsisOnACharacterBoundary() {
        String text = "NOT_FOUND - no queue '" + "\u00e9".repeat(200) + "' in vhost '/'";
        for (Method close : List.of(new ChannelClose(404, text, 50, 10), new ConnectionClose(530, text, 10, 40),
                new BasicReturn(312, text, "x", "rk"))) {
            ByteBuf buf = encode(close);
            int length = buf.getUnsignedByte(6);
            byte[] wire = new byte[length];
            buf.getBytes(7, wire);
            assertTrue(length <= 255 && length >= 250, "length " + length);
            String decoded = new String(wire, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(decoded.endsWith("..."), decoded);
            assertTrue(text.startsWith(decoded.substring(0, decoded.length() - 3)), "cut inside a character: " + decoded);
            assertArrayEquals(decoded.getBytes(java.nio.charset.StandardCharsets.UTF_8), wire, "valid UTF-8");
        }
        // short texts are untouched
        ChannelClose shortClose = new ChannelClose(404, "NOT_FOUND - no queue 'q'", 50, 10);
        assertEquals(shortClose, MethodCodec.decode(encode(shortClose)));
    }

    @Test
    void malformedUtf8InANameIsFrameError501WithRabbitMqsText() {
        for (byte[] bad : List.of(new byte[] {'q', (byte) 0xFF}, new byte[] {'q', (byte) 0xC0, (byte) 0xAF},
                new byte[] {'q', (byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0x80},
                new byte[] {'q', (byte) 0xED, (byte) 0xA0, (byte) 0x80})) {
            ByteBuf buf = Unpooled.buffer();
            buf.writeShort(QueueDeclare.CLASS_ID).writeShort(QueueDeclare.METHOD_ID).writeShort(0);
            buf.writeByte(bad.length).writeBytes(bad).writeByte(0).writeInt(0);
            ConnectionException e = assertThrows(ConnectionException.class, () -> MethodCodec.decode(buf));
            assertEquals(ReplyCode.FRAME_ERROR, e.replyCode());
            assertEquals("FRAME_ERROR - Malformed UTF-8 in shortstr", e.replyText());
        }
        // well-formed multi-octet names pass
        QueueDeclare ok = new QueueDeclare("caf\u00e9-\uD83D\uDE00", false, false, false, false, false, Map.of());
        assertEquals(ok, MethodCodec.decode(encode(ok)));
    }

    @Test
    void basicPublishExchangeAndRoutingKeyAreNotCheckedAsRabbitMq() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeShort(BasicPublish.CLASS_ID).writeShort(BasicPublish.METHOD_ID).writeShort(0);
        buf.writeByte(2).writeByte('e').writeByte(0xFF).writeByte(2).writeByte('r').writeByte(0xFE).writeByte(0);
        BasicPublish p = (BasicPublish) MethodCodec.decode(buf);
        assertEquals("e\uFFFD", p.exchange());
        assertEquals("r\uFFFD", p.routingKey());
    }

    @Test
    void longStringArgumentsKeepArbitraryBytes() {
        byte[] response = {0, 'g', 'u', 'e', 's', 't', 0, (byte) 0xFF};
        ConnectionStartOk startOk = new ConnectionStartOk(Map.of(), "PLAIN", LongString.of(response), "en_US");
        ConnectionStartOk decoded = (ConnectionStartOk) MethodCodec.decode(encode(startOk));
        assertArrayEquals(response, decoded.response().bytes());
    }

    @Test
    void theFiveBitsOfExchangeDeclarePackIntoOneOctet() {
        ByteBuf buf = encode(new ExchangeDeclare("x", "topic", true, true, true, true, true, null));
        buf.skipBytes(4 + 2 + 2 + 6);
        assertEquals(0x1F, buf.readUnsignedByte());
        assertEquals(0, buf.readInt());
        assertEquals(0, buf.readableBytes());
    }
}
