package warren.core.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Salted SHA-256 password hashes in RabbitMQ's format ({@code rabbit_password_hashing_sha256}):
 * base64(salt(4 bytes) ++ sha256(salt ++ utf8(password))), so definitions can move between brokers.
 */
public final class PasswordHash {
    private static final SecureRandom RANDOM = new SecureRandom();

    private PasswordHash() {
    }

    public static String hash(String password) {
        byte[] salt = new byte[4];
        RANDOM.nextBytes(salt);
        return Base64.getEncoder().encodeToString(concat(salt, digest(salt, password)));
    }

    public static boolean matches(String encodedHash, String password) {
        if (encodedHash == null || password == null) {
            return false;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(encodedHash);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (decoded.length != 4 + 32) {
            return false;
        }
        byte[] salt = Arrays.copyOf(decoded, 4);
        byte[] expected = Arrays.copyOfRange(decoded, 4, decoded.length);
        return MessageDigest.isEqual(expected, digest(salt, password));
    }

    private static byte[] digest(byte[] salt, String password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt);
            return sha.digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
