package warren.cluster.link;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data link's handshake messages and proofs: a mutual HMAC-SHA256 challenge/response keyed by
 * the cookie-derived link key, so neither side sends anything from which the cookie could be
 * recovered.
 *
 * <pre>
 * client → server  HELLO     "WRNLINK", version, client name, client nonce
 * server → client  CHALLENGE server name, server nonce, HMAC(key, "server" | client nonce | server name)
 * client → server  RESPONSE  HMAC(key, "client" | server nonce | client name)
 * server → client  WELCOME   (empty: the link is open in both directions)
 * either side      REFUSED   reason code, then the sender closes
 * </pre>
 *
 * <p>Why the client proves itself only after checking the server's proof: a client that answered any
 * challenge would let a fake server relay a real server's nonce and replay the answer. Each message
 * is one length-prefixed frame whose first byte is its {@link Type}.
 */
final class LinkHandshake {

    static final int VERSION = 1;
    static final int NONCE_BYTES = 32;
    static final int PROOF_BYTES = 32;
    /** Node names longer than this (UTF-8 bytes) are refused as malformed. */
    static final int MAX_NAME_BYTES = 1024;
    /** Largest handshake message; frames before authentication are capped at this. */
    static final int MAX_MESSAGE_BYTES = 1 + 7 + 1 + 2 + MAX_NAME_BYTES + NONCE_BYTES + PROOF_BYTES;

    private static final byte[] MAGIC = "WRNLINK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_LABEL = "server".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_LABEL = "client".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    /** @param linkKey the cookie-derived key ({@code ClusterCookie.linkKey()}) */
    LinkHandshake(byte[] linkKey) {
        this.key = new SecretKeySpec(linkKey, "HmacSHA256");
    }

    enum Type {
        HELLO, CHALLENGE, RESPONSE, WELCOME, REFUSED;

        byte code() {
            return (byte) (ordinal() + 1);
        }
    }

    /** Why a side refused; sent so that the other side can log the same reason. */
    enum Refusal {
        COOKIE_MISMATCH("the cluster cookies differ"),
        UNSUPPORTED_VERSION("unsupported link protocol version"),
        UNEXPECTED_NODE("a different node answered at that address"),
        MALFORMED("malformed handshake");

        final String text;

        Refusal(String text) {
            this.text = text;
        }
    }

    sealed interface Message permits Hello, Challenge, Response, Welcome, Refused {
    }

    record Hello(int version, String node, byte[] nonce) implements Message {
    }

    record Challenge(String node, byte[] nonce, byte[] proof) implements Message {
    }

    record Response(byte[] proof) implements Message {
    }

    record Welcome() implements Message {
    }

    record Refused(Refusal reason) implements Message {
    }

    /** A handshake frame that does not parse; the connection is closed. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message);
        }
    }

    static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** The server's proof, over the client's nonce and the server's own name. */
    byte[] serverProof(byte[] clientNonce, String serverName) {
        return proof(SERVER_LABEL, clientNonce, serverName);
    }

    /** The client's proof, over the server's nonce and the client's own name. */
    byte[] clientProof(byte[] serverNonce, String clientName) {
        return proof(CLIENT_LABEL, serverNonce, clientName);
    }

    /** Constant-time comparison, so timing does not tell a forger how much of a proof matched. */
    static boolean matches(byte[] expected, byte[] presented) {
        return MessageDigest.isEqual(expected, presented);
    }

    private byte[] proof(byte[] label, byte[] nonce, String name) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(label);
            mac.update(nonce);
            return mac.doFinal(name.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is mandatory on every Java platform; reaching this is a broken JDK.
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static ByteBuf encode(ByteBufAllocator alloc, Message message) {
        ByteBuf out = alloc.buffer(64);
        if (message instanceof Hello hello) {
            out.writeByte(Type.HELLO.code()).writeBytes(MAGIC).writeByte(hello.version());
            writeName(out, hello.node());
            out.writeBytes(hello.nonce());
        } else if (message instanceof Challenge challenge) {
            out.writeByte(Type.CHALLENGE.code());
            writeName(out, challenge.node());
            out.writeBytes(challenge.nonce()).writeBytes(challenge.proof());
        } else if (message instanceof Response response) {
            out.writeByte(Type.RESPONSE.code()).writeBytes(response.proof());
        } else if (message instanceof Welcome) {
            out.writeByte(Type.WELCOME.code());
        } else if (message instanceof Refused refused) {
            out.writeByte(Type.REFUSED.code()).writeByte(refused.reason().ordinal() + 1);
        }
        return out;
    }

    /** Parses one whole handshake frame (without its length prefix); the buffer is not released. */
    static Message decode(ByteBuf in) throws MalformedException {
        Type type = code(in.isReadable() ? in.readByte() : 0, Type.values(), "message type");
        Message message = switch (type) {
            case HELLO -> {
                byte[] magic = bytes(in, MAGIC.length, "magic");
                if (!Arrays.equals(magic, MAGIC)) {
                    throw new MalformedException("not a warren data link peer (bad magic)");
                }
                int version = Byte.toUnsignedInt(bytes(in, 1, "version")[0]);
                yield new Hello(version, readName(in), bytes(in, NONCE_BYTES, "nonce"));
            }
            case CHALLENGE -> new Challenge(readName(in), bytes(in, NONCE_BYTES, "nonce"), bytes(in, PROOF_BYTES, "proof"));
            case RESPONSE -> new Response(bytes(in, PROOF_BYTES, "proof"));
            case WELCOME -> new Welcome();
            case REFUSED -> new Refused(code(Byte.toUnsignedInt(bytes(in, 1, "reason")[0]), Refusal.values(), "refusal reason"));
        };
        if (in.isReadable()) {
            throw new MalformedException(in.readableBytes() + " unexpected trailing bytes after " + type);
        }
        return message;
    }

    private static <E extends Enum<E>> E code(int code, E[] values, String what) throws MalformedException {
        if (code < 1 || code > values.length) {
            throw new MalformedException("unknown " + what + " " + code);
        }
        return values[code - 1];
    }

    private static void writeName(ByteBuf out, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        out.writeShort(bytes.length).writeBytes(bytes);
    }

    private static String readName(ByteBuf in) throws MalformedException {
        byte[] length = bytes(in, 2, "name length");
        int size = ((length[0] & 0xff) << 8) | (length[1] & 0xff);
        if (size == 0 || size > MAX_NAME_BYTES) {
            throw new MalformedException("node name of " + size + " bytes (1.." + MAX_NAME_BYTES + ")");
        }
        return new String(bytes(in, size, "node name"), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuf in, int size, String what) throws MalformedException {
        if (in.readableBytes() < size) {
            throw new MalformedException("truncated " + what);
        }
        byte[] bytes = new byte[size];
        in.readBytes(bytes);
        return bytes;
    }
}
