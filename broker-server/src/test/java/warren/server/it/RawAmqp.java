package warren.server.it;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A tiny hand-rolled AMQP 0-9-1 client over a plain socket, for tests that must send what no real client
 * would: wrong protocol headers, oversize or malformed frames, methods on unopened channels, etc.
 */
final class RawAmqp implements Closeable {

    static final byte[] AMQP_0_9_1 = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
    static final int FRAME_METHOD = 1;
    static final int FRAME_HEADER = 2;
    static final int FRAME_BODY = 3;
    static final int FRAME_HEARTBEAT = 8;
    static final int FRAME_END = 0xCE;

    record Frame(int type, int channel, byte[] payload) {
        int classId() {
            return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        }

        int methodId() {
            return ((payload[2] & 0xff) << 8) | (payload[3] & 0xff);
        }

        boolean isMethod(int cls, int meth) {
            return type == FRAME_METHOD && payload.length >= 4 && classId() == cls && methodId() == meth;
        }
    }

    /** A connection.close or channel.close received from the server. */
    record Close(int channel, int replyCode, String replyText, int classId, int methodId) {
    }

    record Tune(int channelMax, int frameMax, int heartbeat) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    Tune serverTune;
    int frameMax;

    private RawAmqp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawAmqp connect(int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(10_000);
        return new RawAmqp(s);
    }

    /** Full handshake as guest/guest (PLAIN) on vhost "/" with the given tune-ok values. */
    static RawAmqp open(int port, int channelMax, int frameMax, int heartbeat) throws IOException {
        RawAmqp r = connect(port);
        r.handshake(channelMax, frameMax, heartbeat);
        return r;
    }

    /** Handshake accepting the server's frame_max/channel_max and disabling heartbeats. */
    static RawAmqp open(int port) throws IOException {
        RawAmqp r = connect(port);
        r.handshake(-1, -1, 0);
        return r;
    }

    void handshake(int channelMax, int frameMax, int heartbeat) throws IOException {
        startOk();
        int cm = channelMax < 0 ? serverTune.channelMax : channelMax;
        int fm = frameMax < 0 ? serverTune.frameMax : frameMax;
        this.frameMax = fm;
        sendMethod(0, 10, 31, new Args().u16(cm).u32(fm).u16(heartbeat).build());
        sendMethod(0, 10, 40, new Args().shortstr("/").shortstr("").u8(0).build());
        Frame openOk = readFrame();
        expect(openOk, 10, 41, "connection.open-ok");
    }

    /** Protocol header, connection.start, start-ok as guest/guest (PLAIN); reads the server's tune. */
    Tune startOk() throws IOException {
        writeRaw(AMQP_0_9_1);
        Frame start = readFrame();
        expect(start, 10, 10, "connection.start");
        sendMethod(0, 10, 11, new Args()
                .table(new byte[0])
                .shortstr("PLAIN")
                .longstr(bytes("\0guest\0guest"))
                .shortstr("en_US")
                .build());
        Frame tune = readFrame();
        expect(tune, 10, 30, "connection.tune");
        DataInputStream t = new DataInputStream(new java.io.ByteArrayInputStream(tune.payload, 4, tune.payload.length - 4));
        serverTune = new Tune(t.readUnsignedShort(), t.readInt(), t.readUnsignedShort());
        return serverTune;
    }

    void openChannel(int ch) throws IOException {
        sendMethod(ch, 20, 10, new Args().shortstr("").build());
        Frame f = readFrame();
        expect(f, 20, 11, "channel.open-ok");
    }

    private static void expect(Frame f, int cls, int meth, String what) throws IOException {
        if (f == null || !f.isMethod(cls, meth)) {
            throw new IOException("expected " + what + ", got " + describe(f));
        }
    }

    static String describe(Frame f) {
        if (f == null) {
            return "EOF";
        }
        if (f.type == FRAME_METHOD && f.payload.length >= 4) {
            return "method " + f.classId() + "." + f.methodId() + " on channel " + f.channel;
        }
        return "frame type " + f.type + " on channel " + f.channel;
    }

    // ---------------------------------------------------------------- writing

    void writeRaw(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    static byte[] frame(int type, int channel, byte[] payload, int frameEnd) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bo);
        try {
            d.writeByte(type);
            d.writeShort(channel);
            d.writeInt(payload.length);
            d.write(payload);
            d.writeByte(frameEnd);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bo.toByteArray();
    }

    void sendFrame(int type, int channel, byte[] payload) throws IOException {
        writeRaw(frame(type, channel, payload, FRAME_END));
    }

    static byte[] methodPayload(int cls, int meth, byte[] args) {
        byte[] p = new byte[4 + args.length];
        p[0] = (byte) (cls >> 8);
        p[1] = (byte) cls;
        p[2] = (byte) (meth >> 8);
        p[3] = (byte) meth;
        System.arraycopy(args, 0, p, 4, args.length);
        return p;
    }

    void sendMethod(int channel, int cls, int meth, byte[] args) throws IOException {
        sendFrame(FRAME_METHOD, channel, methodPayload(cls, meth, args));
    }

    /** basic.publish(exchange, routingKey) method frame payload. */
    static byte[] basicPublish(String exchange, String routingKey) {
        return methodPayload(60, 40, new Args().u16(0).shortstr(exchange).shortstr(routingKey).u8(0).build());
    }

    /** Content header payload for class basic with the given body size and no properties. */
    static byte[] contentHeader(long bodySize) {
        return new Args().u16(60).u16(0).u64(bodySize).u16(0).build();
    }

    // ---------------------------------------------------------------- reading

    /** Reads one frame, or returns null on EOF / reset. Throws SocketTimeoutException on timeout. */
    Frame readFrame() throws IOException {
        try {
            int type = in.readUnsignedByte();
            int channel = in.readUnsignedShort();
            int size = in.readInt();
            byte[] payload = new byte[size];
            in.readFully(payload);
            int end = in.readUnsignedByte();
            if (end != FRAME_END) {
                throw new IOException("server sent bad frame end " + end);
            }
            return new Frame(type, channel, payload);
        } catch (EOFException | SocketException e) {
            return null;
        }
    }

    /** Reads up to n bytes until EOF (for the protocol-header test). */
    byte[] readUpTo(int n) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try {
            while (bo.size() < n) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                bo.write(b);
            }
        } catch (SocketException e) {
            // reset: return what we have
        }
        return bo.toByteArray();
    }

    /**
     * Reads frames (skipping heartbeats and anything else) until the server sends connection.close; answers
     * close-ok. Returns null if the socket reaches EOF first.
     */
    Close awaitConnectionClose(Duration bound) throws IOException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            Frame f;
            try {
                f = readFrame();
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (f == null) {
                return null;
            }
            if (f.isMethod(10, 50)) {
                Close c = parseClose(f);
                try {
                    sendMethod(0, 10, 51, new byte[0]);
                } catch (IOException e) {
                    // server may already have closed
                }
                return c;
            }
        }
        throw new SocketTimeoutException("no connection.close within " + bound);
    }

    /** Reads frames until channel.close on any channel (answers close-ok) or connection.close; null on EOF. */
    Close awaitClose(Duration bound) throws IOException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            Frame f;
            try {
                f = readFrame();
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (f == null) {
                return null;
            }
            if (f.isMethod(10, 50)) {
                Close c = parseClose(f);
                sendMethod(0, 10, 51, new byte[0]);
                return c;
            }
            if (f.isMethod(20, 40)) {
                Close c = parseClose(f);
                sendMethod(f.channel, 20, 41, new byte[0]);
                return c;
            }
        }
        throw new SocketTimeoutException("no close within " + bound);
    }

    /** True if the server closes the socket within the bound (frames received meanwhile are discarded). */
    boolean awaitEof(Duration bound) throws IOException {
        long deadline = System.nanoTime() + bound.toNanos();
        socket.setSoTimeout(200);
        try {
            while (System.nanoTime() < deadline) {
                try {
                    if (in.read() < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    // keep waiting
                } catch (SocketException e) {
                    return true;
                }
            }
            return false;
        } finally {
            socket.setSoTimeout(10_000);
        }
    }

    static Close parseClose(Frame f) throws IOException {
        DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(f.payload, 4, f.payload.length - 4));
        int code = d.readUnsignedShort();
        int len = d.readUnsignedByte();
        byte[] text = new byte[len];
        d.readFully(text);
        int cls = d.readUnsignedShort();
        int meth = d.readUnsignedShort();
        return new Close(f.channel, code, new String(text, StandardCharsets.UTF_8), cls, meth);
    }

    Socket socket() {
        return socket;
    }

    void setSoTimeout(int ms) throws SocketException {
        socket.setSoTimeout(ms);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Big-endian argument builder for method frames. */
    static final class Args {
        private final ByteArrayOutputStream bo = new ByteArrayOutputStream();
        private final DataOutputStream d = new DataOutputStream(bo);

        Args u8(int v) {
            try {
                d.writeByte(v);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        Args u16(int v) {
            try {
                d.writeShort(v);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        Args u32(int v) {
            try {
                d.writeInt(v);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        Args u64(long v) {
            try {
                d.writeLong(v);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        Args shortstr(String s) {
            byte[] b = bytes(s);
            u8(b.length);
            return raw(b);
        }

        /** A short string of arbitrary octets (e.g. not UTF-8). */
        Args shortstr(byte[] b) {
            u8(b.length);
            return raw(b);
        }

        Args longstr(byte[] b) {
            u32(b.length);
            return raw(b);
        }

        /** A field table given its already encoded content. */
        Args table(byte[] encoded) {
            u32(encoded.length);
            return raw(encoded);
        }

        Args raw(byte[] b) {
            try {
                d.write(b);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        byte[] build() {
            return bo.toByteArray();
        }
    }
}
