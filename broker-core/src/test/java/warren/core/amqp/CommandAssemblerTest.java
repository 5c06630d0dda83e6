package warren.core.amqp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import warren.core.amqp.method.BasicAck;
import warren.core.amqp.method.BasicPublish;
import warren.core.amqp.method.ChannelClose;

class CommandAssemblerTest {
    private static final BasicPublish PUBLISH = new BasicPublish("amq.direct", "key", true, false);
    private static final BasicProperties PROPS = BasicProperties.EMPTY.withDeliveryMode(2);

    private static Frame method(Method m) {
        ByteBuf payload = Unpooled.buffer();
        MethodCodec.encode(m, payload);
        return new Frame(Frame.TYPE_METHOD, 1, payload);
    }

    private static Frame header(int classId, long bodySize) {
        ByteBuf payload = Unpooled.buffer();
        ContentHeader.write(payload, classId, bodySize, ContentHeader.encodeProperties(PROPS));
        return new Frame(Frame.TYPE_HEADER, 1, payload);
    }

    private static Frame body(byte[] bytes, int from, int to) {
        return new Frame(Frame.TYPE_BODY, 1, Unpooled.wrappedBuffer(bytes, from, to - from));
    }

    private static ConnectionException assertUnexpectedFrame(CommandAssembler assembler, Frame frame) {
        ConnectionException e = assertThrows(ConnectionException.class, () -> assembler.feed(frame));
        assertEquals(ReplyCode.UNEXPECTED_FRAME, e.replyCode());
        return e;
    }

    @Test
    void methodWithoutContentCompletesImmediately() {
        Command command = new CommandAssembler(0).feed(method(new BasicAck(5, true)));
        assertEquals(Command.of(new BasicAck(5, true)), command);
        assertNull(command.header());
        assertNull(command.body());
    }

    @Test
    void contentSplitAcrossBodyFramesIsReassembled() {
        byte[] message = new byte[1000];
        Arrays.fill(message, (byte) 'm');
        message[999] = 'z';
        CommandAssembler assembler = new CommandAssembler(0);

        assertNull(assembler.feed(method(PUBLISH)));
        assertNull(assembler.feed(header(60, message.length)));
        assertNull(assembler.feed(body(message, 0, 300)));
        assertNull(assembler.feed(body(message, 300, 999)));
        Command command = assembler.feed(body(message, 999, 1000));

        assertEquals(PUBLISH, command.method());
        assertEquals(PROPS, command.header().properties());
        assertEquals(1000, command.header().bodySize());
        assertArrayEquals(message, command.body());
        assertTrue(assembler.isIdle());
        assertEquals(Command.of(new BasicAck(1, false)), assembler.feed(method(new BasicAck(1, false))));
    }

    @Test
    void zeroLengthBodyCompletesAtTheHeader() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        Command command = assembler.feed(header(60, 0));
        assertEquals(PUBLISH, command.method());
        assertEquals(0, command.body().length);
        assertTrue(assembler.isIdle());
    }

    @Test
    void headerWhenAMethodIsExpectedIsAnUnexpectedFrame() {
        ConnectionException e = assertUnexpectedFrame(new CommandAssembler(0), header(60, 1));
        assertEquals("expected method frame, got content header instead", e.getMessage());
    }

    @Test
    void bodyWhenAMethodIsExpectedIsAnUnexpectedFrame() {
        assertUnexpectedFrame(new CommandAssembler(0), body(new byte[1], 0, 1));
    }

    @Test
    void methodWhenAHeaderIsExpectedIsAnUnexpectedFrame() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        ConnectionException e = assertUnexpectedFrame(assembler, method(new BasicAck(1, false)));
        assertEquals(BasicPublish.CLASS_ID, e.classId());
        assertEquals(BasicPublish.METHOD_ID, e.methodId());
    }

    @Test
    void bodyWhenAHeaderIsExpectedIsAnUnexpectedFrame() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        assertUnexpectedFrame(assembler, body(new byte[1], 0, 1));
    }

    @Test
    void headerOfAnotherClassIsAnUnexpectedFrame() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        ConnectionException e = assertUnexpectedFrame(assembler, header(20, 1));
        assertEquals("expected content header for class 60, got one for class 20 instead", e.getMessage());
    }

    @Test
    void methodWhenABodyIsExpectedIsAnUnexpectedFrame() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        assembler.feed(header(60, 10));
        assertUnexpectedFrame(assembler, method(new ChannelClose(200, "bye", 0, 0)));
    }

    @Test
    void headerWhenABodyIsExpectedIsAnUnexpectedFrame() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        assembler.feed(header(60, 10));
        assertUnexpectedFrame(assembler, header(60, 10));
    }

    @Test
    void bodyLongerThanAnnouncedIsUnexpectedFrameAsInRabbitMq() {
        CommandAssembler assembler = new CommandAssembler(0);
        assembler.feed(method(PUBLISH));
        assembler.feed(header(60, 10));
        assembler.feed(body(new byte[6], 0, 6));
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> assembler.feed(body(new byte[6], 0, 6)));
        assertEquals(ReplyCode.UNEXPECTED_FRAME, e.replyCode());
    }

    @Test
    void bodyAboveTheMaximumIsRefusedAtTheHeaderAndItsBodySkipped() {
        CommandAssembler assembler = new CommandAssembler(100);
        assembler.feed(method(PUBLISH));
        ChannelException e = assertThrows(ChannelException.class, () -> assembler.feed(header(60, 150)));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertEquals("message size 150 is larger than configured max size 100", e.getMessage());
        assertEquals(BasicPublish.CLASS_ID, e.classId());

        assertNull(assembler.feed(body(new byte[100], 0, 100)));
        assertNull(assembler.feed(body(new byte[50], 0, 50)));
        assertTrue(assembler.isIdle());
        assertEquals(Command.of(new BasicAck(1, false)), assembler.feed(method(new BasicAck(1, false))));
    }

    @Test
    void bodyAtTheMaximumIsAccepted() {
        CommandAssembler assembler = new CommandAssembler(100);
        assembler.feed(method(PUBLISH));
        assembler.feed(header(60, 100));
        assertEquals(100, assembler.feed(body(new byte[100], 0, 100)).body().length);
    }

    @Test
    void heartbeatOnAChannelIsAnUnexpectedFrame() {
        assertUnexpectedFrame(new CommandAssembler(0), new Frame(Frame.TYPE_HEARTBEAT, 1, Unpooled.EMPTY_BUFFER));
    }
}
