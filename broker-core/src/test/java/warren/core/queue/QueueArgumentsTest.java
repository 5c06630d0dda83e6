package warren.core.queue;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import warren.core.amqp.ChannelException;
import warren.core.amqp.LongString;
import warren.core.amqp.ReplyCode;

class QueueArgumentsTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("x-message-ttl", -1, "{value_negative,-1}"),
                Arguments.of("x-message-ttl", "1000", "{unacceptable_type,longstr}"),
                Arguments.of("x-message-ttl", 1.5d, "{unacceptable_type,double}"),
                Arguments.of("x-expires", 0, "{value_zero,0}"),
                Arguments.of("x-expires", -5L, "{value_negative,-5}"),
                Arguments.of("x-max-length", -1, "{value_negative,-1}"),
                Arguments.of("x-max-length-bytes", true, "{unacceptable_type,bool}"),
                Arguments.of("x-max-priority", 256, "{value_too_large,256,255}"),
                Arguments.of("x-max-priority", -1, "{value_negative,-1}"),
                Arguments.of("x-overflow", "drop-tail", "{unknown_overflow_type,<<\"drop-tail\">>}"),
                Arguments.of("x-overflow", 1, "{unacceptable_type,signedint}"),
                Arguments.of("x-dead-letter-exchange", 7L, "{unacceptable_type,long}"),
                Arguments.of("x-single-active-consumer", "true", "{unacceptable_type,longstr}"),
                Arguments.of("x-queue-type", "quorum", "{unsupported_queue_type,<<\"quorum\">>}"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalid")
    void invalidValueIsPreconditionFailedNamingTheKey(String key, Object value, String reason) {
        Map<String, Object> args = new HashMap<>();
        args.put(key, value);
        ChannelException e = assertThrows(ChannelException.class, () -> QueueArguments.parse(args, "q", "/"));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertTrue(e.getMessage().startsWith("invalid arg '" + key + "' for queue 'q' in vhost '/': " + reason),
                e.getMessage());
    }

    @Test
    void deadLetterRoutingKeyWithoutExchangeIsRefused() {
        ChannelException e = assertThrows(ChannelException.class,
                () -> QueueArguments.parse(Map.of("x-dead-letter-routing-key", "k"), "q", "/"));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertTrue(e.getMessage().contains("'x-dead-letter-routing-key'"), e.getMessage());
    }

    @Test
    void validArgumentsParse() {
        QueueArguments a = QueueArguments.parse(Map.of("x-message-ttl", 1000, "x-expires", 5000L,
                "x-max-priority", (byte) 10, "x-dead-letter-exchange", LongString.of("dlx"),
                "x-single-active-consumer", true, "x-queue-type", "classic", "x-overflow", "reject-publish",
                "x-custom", List.of()), "q", "/");
        assertEquals(1000, a.messageTtl());
        assertEquals(5000, a.expires());
        assertEquals(10, a.maxPriority());
        assertEquals("dlx", a.deadLetterExchange());
        assertTrue(a.singleActiveConsumer());
        assertEquals(QueueArguments.Overflow.REJECT_PUBLISH, a.overflow);
        assertDoesNotThrow(() -> QueueArguments.parse(null, "q", "/"));
    }

    @Test
    void redeclareWithDifferentComparedArgumentIsPreconditionFailed() {
        QueueArguments current = QueueArguments.parse(Map.of("x-message-ttl", 1000), "q", "/");
        QueueArguments other = QueueArguments.parse(Map.of("x-message-ttl", 2000), "q", "/");
        ChannelException e = assertThrows(ChannelException.class, () -> current.assertEquivalent(other, "q", "/"));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertEquals("inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received the value '2000' of "
                + "type 'signedint' but current is the value '1000' of type 'signedint'", e.getMessage());
        ChannelException missing = assertThrows(ChannelException.class,
                () -> current.assertEquivalent(QueueArguments.parse(Map.of(), "q", "/"), "q", "/"));
        assertTrue(missing.getMessage().contains("received none"), missing.getMessage());
    }

    @Test
    void redeclareIgnoresIntegerWidthStringKindAndUncomparedArguments() {
        QueueArguments current = QueueArguments.parse(Map.of("x-message-ttl", 1000, "x-dead-letter-exchange", "d"),
                "q", "/");
        QueueArguments other = QueueArguments.parse(Map.of("x-message-ttl", 1000L,
                "x-dead-letter-exchange", LongString.of("d"), "x-custom", 1), "q", "/");
        assertDoesNotThrow(() -> current.assertEquivalent(other, "q", "/"));
    }
}
