package warren.cluster.jgroups;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;

/**
 * AUTH token carrying the cookie-derived join token (see {@code ClusterCookie#authToken()}) and the
 * sender's Warren version.
 *
 * <p>Why a token at all when SYM_ENCRYPT already keeps outsiders out: with encryption alone the
 * coordinator silently drops an outsider's JOIN (it cannot decrypt it), the joiner times out and
 * quietly forms a cluster of its own. The token lets the coordinator recognise the mismatch and
 * <em>answer</em>, so both sides log what is wrong. The token is sent in clear and could be
 * replayed, which buys an attacker nothing: membership traffic after the join is encrypted with a
 * key the token does not reveal.
 *
 * <p>The version rides along so the coordinator can apply the version rule during the same JOIN and
 * answer a joiner of another minor version with both versions named ({@link CookieAuth}). It is not
 * part of {@link #authenticate}: only the cookie proves membership, and the version a node without
 * the cookie claims is never looked at.
 *
 * <p>JGroups instantiates received tokens by class name with the public no-argument constructor.
 */
public final class CookieAuthToken extends AuthToken {

    private static final int MAX_TOKEN_BYTES = 64;
    private static final int MAX_VERSION_BYTES = 64;

    private byte[] token;
    private byte[] version;

    /** For JGroups' deserialisation of a received token. */
    public CookieAuthToken() {
        this.token = new byte[0];
        this.version = new byte[0];
    }

    CookieAuthToken(byte[] token, String version) {
        byte[] encoded = version.getBytes(StandardCharsets.UTF_8);
        if (encoded.length > MAX_VERSION_BYTES) {
            throw new IllegalArgumentException("Warren version '" + version + "' is longer than " + MAX_VERSION_BYTES
                    + " bytes");
        }
        this.token = token.clone();
        this.version = encoded;
    }

    /** The Warren version the sender runs. */
    String version() {
        return new String(version, StandardCharsets.UTF_8);
    }

    @Override
    public String getName() {
        return "warren-cookie";
    }

    @Override
    public int size() {
        return Short.BYTES + token.length + Short.BYTES + version.length;
    }

    @Override
    public boolean authenticate(AuthToken presented, Message msg) {
        return presented instanceof CookieAuthToken other
                && other.token.length > 0
                && MessageDigest.isEqual(token, other.token);
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        out.writeShort(token.length);
        out.write(token);
        out.writeShort(version.length);
        out.write(version);
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
        this.token = readBounded(in, MAX_TOKEN_BYTES, "cluster auth token");
        this.version = readBounded(in, MAX_VERSION_BYTES, "Warren version in the cluster auth token");
    }

    private static byte[] readBounded(DataInput in, int max, String what) throws IOException {
        int length = in.readUnsignedShort();
        if (length > max) {
            throw new IOException(what + " of " + length + " bytes is longer than " + max);
        }
        byte[] read = new byte[length];
        in.readFully(read);
        return read;
    }

    @Override
    public String toString() {
        return "CookieAuthToken[redacted, version=" + version() + "]";
    }
}
