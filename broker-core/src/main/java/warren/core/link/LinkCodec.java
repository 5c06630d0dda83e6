package warren.core.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import warren.core.amqp.BasicProperties;
import warren.core.message.Message;

/**
 * The frames of the inter-node data link. A frame is one type byte and its fields; strings are
 * length-prefixed UTF-8, messages travel as exchange, routing key, raw properties (as the
 * publisher encoded them: no re-encoding on either side), body and publish time.
 *
 * <p>Client (the node a client is connected to) to home (the node a queue lives on):
 * {@code PUBLISH, CONSUME, CANCEL, GET, SETTLE, CREDIT, COUNTS, PURGE, DELETE}. Home to client:
 * {@code CONFIRM, DELIVER, CANCELLED, OK, GOT, COUNTED, NUMBER, ERROR}. Requests carry an id that
 * the answer repeats.
 */
final class LinkCodec {
    static final byte PUBLISH = 1;
    static final byte CONSUME = 2;
    static final byte CANCEL = 3;
    static final byte GET = 4;
    static final byte SETTLE = 5;
    static final byte CREDIT = 6;
    static final byte COUNTS = 7;
    static final byte PURGE = 8;
    static final byte DELETE = 9;

    static final byte CONFIRM = 20;
    static final byte DELIVER = 21;
    static final byte CANCELLED = 22;
    static final byte OK = 23;
    static final byte GOT = 24;
    static final byte COUNTED = 25;
    static final byte NUMBER = 26;
    static final byte ERROR = 27;

    private LinkCodec() {
    }

    static ByteBuf frame(byte type, int sizeHint) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(sizeHint);
        b.writeByte(type);
        return b;
    }

    static void str(ByteBuf b, String s) {
        b.writeInt(ByteBufUtil.utf8Bytes(s));
        b.writeCharSequence(s, StandardCharsets.UTF_8);
    }

    static String str(ByteBuf b) {
        int n = b.readInt();
        if (n < 0 || n > b.readableBytes()) {
            throw new IllegalArgumentException("bad string length " + n + " in a data link frame");
        }
        return b.readCharSequence(n, StandardCharsets.UTF_8).toString();
    }

    static int messageSize(Message m) {
        return 32 + m.exchange().length() * 3 + m.routingKey().length() * 3 + m.rawProperties().length
                + m.body().length;
    }

    static void message(ByteBuf b, Message m) {
        str(b, m.exchange());
        str(b, m.routingKey());
        b.writeInt(m.rawProperties().length);
        b.writeBytes(m.rawProperties());
        b.writeInt(m.body().length);
        b.writeBytes(m.body());
        b.writeLong(m.publishedAtMillis());
    }

    static Message message(ByteBuf b) {
        String exchange = str(b);
        String routingKey = str(b);
        byte[] raw = bytes(b);
        byte[] body = bytes(b);
        long publishedAt = b.readLong();
        BasicProperties props = BasicProperties.read(Unpooled.wrappedBuffer(raw));
        return new Message(exchange, routingKey, props, raw, body, publishedAt);
    }

    private static byte[] bytes(ByteBuf b) {
        int n = b.readInt();
        if (n < 0 || n > b.readableBytes()) {
            throw new IllegalArgumentException("bad length " + n + " in a data link frame");
        }
        byte[] out = new byte[n];
        b.readBytes(out);
        return out;
    }
}
