package warren.server.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Test helpers that read raw AMQP frames off a socket or a byte array. */
final class AmqpWire {
    static final byte[] HEADER_0_9_1 = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};

    record RawFrame(int type, int channel, byte[] payload) {
        int classId() {
            return ByteBuffer.wrap(payload).getShort(0) & 0xffff;
        }

        int methodId() {
            return ByteBuffer.wrap(payload).getShort(2) & 0xffff;
        }

        /** For connection.close: the reply code. */
        int replyCode() {
            return ByteBuffer.wrap(payload).getShort(4) & 0xffff;
        }

        String replyText() {
            int len = payload[6] & 0xff;
            return new String(payload, 7, len, StandardCharsets.UTF_8);
        }
    }

    private AmqpWire() {
    }

    static RawFrame readFrame(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int type = d.readUnsignedByte();
        int channel = d.readUnsignedShort();
        int size = d.readInt();
        byte[] payload = new byte[size];
        d.readFully(payload);
        assertEquals(0xCE, d.readUnsignedByte(), "frame end octet");
        return new RawFrame(type, channel, payload);
    }

    static RawFrame parseFrame(byte[] bytes) throws IOException {
        return readFrame(new java.io.ByteArrayInputStream(bytes));
    }

    /** Reads until end of stream (bounded by the socket's SO_TIMEOUT); true if the peer closed. */
    static boolean readsToEof(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // discard
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // connection reset: closed as well
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
