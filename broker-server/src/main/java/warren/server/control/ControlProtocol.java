package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The control listener's wire format: every message is a 4-byte big-endian length followed by that
 * many bytes of UTF-8 JSON. A session starts with the server's hello
 * {@code {"protocol":"warren-control/1","node":..., "challenge":hex}}; the client answers
 * {@code {"response": hex(HMAC-SHA256(cookie, challenge))}}; the server replies
 * {@code {"ok":true}} or refuses and closes. Then each request
 * {@code {"command":..., "args":{...}}} gets {@code {"ok":true,"result":...}} or
 * {@code {"ok":false,"error":kind,"message":...}}.
 */
public final class ControlProtocol {

    public static final String PROTOCOL = "warren-control/1";
    public static final int MAX_MESSAGE = 16 * 1024 * 1024;
    /** The largest message a peer may send before it answered the cookie challenge (its answer is ~80 bytes). */
    public static final int MAX_PRE_AUTH_MESSAGE = 4096;
    /** AMQP long strings (queue and binding arguments) are written as JSON strings. */
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.databind.module
            .SimpleModule().addSerializer(warren.core.amqp.LongString.class, new com.fasterxml.jackson.databind.ser
            .std.ToStringSerializer()));

    private ControlProtocol() {
    }

    public static void write(DataOutputStream out, Object message) throws IOException {
        out.write(encode(message));
        out.flush();
    }

    /** One message as it goes on the wire: length, then the JSON. */
    static byte[] encode(Object message) {
        try {
            byte[] json = JSON.writeValueAsBytes(message);
            return java.nio.ByteBuffer.allocate(4 + json.length).putInt(json.length).put(json).array();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("control reply cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    /** The JSON of one message's body. */
    static JsonNode decode(byte[] body) throws IOException {
        JsonNode node = JSON.readTree(body);
        return node == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : node;
    }

    /** Reads one message; {@link EOFException} when the peer closed cleanly. */
    public static JsonNode read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_MESSAGE) {
            throw new IOException("control message of " + length + " bytes is out of range (max " + MAX_MESSAGE + ")");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    }

    public static String newChallenge() {
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        return HexFormat.of().formatHex(nonce);
    }

    public static String respond(String cookie, String challenge) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cookie.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(challenge.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
        }
    }

    /** Constant-time check of a client's answer. */
    public static boolean verify(String cookie, String challenge, String response) {
        if (response == null) {
            return false;
        }
        byte[] expected = respond(cookie, challenge).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, response.getBytes(StandardCharsets.US_ASCII));
    }
}
