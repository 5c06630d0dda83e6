package warren.cluster.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The node's cluster cookie, reduced at once to the secrets the cluster layer needs.
 *
 * <p>Why derive instead of using the cookie directly: the encryption key and the join token travel
 * different paths (the key never leaves the node, the token is sent in clear in AUTH headers so a
 * refused joiner can be told <em>why</em>). Deriving each with its own label (HMAC-SHA256 keyed by
 * the cookie, an HKDF-expand step with a single block) means a sniffed token reveals nothing about
 * the key or the cookie. The data link's handshake key gets a third label for the same reason: its
 * proofs are HMACs over nonces that travel in clear. The cookie string itself is not kept, and {@link #toString()} is redacted,
 * so it cannot end up in a log line or a heap dump of this object.
 */
public final class ClusterCookie {

    static final String KEY_LABEL = "warren-cluster-key-v1";
    static final String AUTH_LABEL = "warren-cluster-auth-v1";
    static final String LINK_LABEL = "warren-link-key-v1";

    private final byte[] encryptionKey;
    private final byte[] authToken;
    private final byte[] linkKey;

    private ClusterCookie(byte[] encryptionKey, byte[] authToken, byte[] linkKey) {
        this.encryptionKey = encryptionKey;
        this.authToken = authToken;
        this.linkKey = linkKey;
    }

    /**
     * @param cookie the content of the cookie file (surrounding whitespace is ignored, as an
     *               editor's trailing newline must not split a cluster)
     */
    public static ClusterCookie of(String cookie) {
        if (cookie == null || cookie.isBlank()) {
            throw new IllegalArgumentException("the cluster cookie is empty (check $HOME/.warren.cookie)");
        }
        byte[] secret = cookie.strip().getBytes(StandardCharsets.UTF_8);
        try {
            return new ClusterCookie(hmac(secret, KEY_LABEL), hmac(secret, AUTH_LABEL), hmac(secret, LINK_LABEL));
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** 256-bit AES key for SYM_ENCRYPT; equal on every node that shares the cookie. */
    public SecretKey encryptionKey() {
        return new SecretKeySpec(encryptionKey, "AES");
    }

    /** Token presented when joining; a copy, so callers cannot alter ours. */
    public byte[] authToken() {
        return authToken.clone();
    }

    /**
     * 256-bit HMAC-SHA256 key for the data link's challenge/response handshake; never sent, and
     * equal on every node that shares the cookie. A copy, so callers cannot alter ours.
     */
    public byte[] linkKey() {
        return linkKey.clone();
    }

    /** Constant-time comparison, so response timing does not leak how much of a token matched. */
    public boolean matchesToken(byte[] presented) {
        return presented != null && MessageDigest.isEqual(authToken, presented);
    }

    @Override
    public String toString() {
        return "ClusterCookie[redacted]";
    }

    private static byte[] hmac(byte[] key, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            // HmacSHA256 is mandatory on every Java platform; reaching this is a broken JDK.
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
