package warren.cluster.jgroups;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.security.MessageDigest;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;

/**
 * AUTH token carrying the cookie-derived join token (see {@code ClusterCookie#authToken()}).
 *
 * <p>Why a token at all when SYM_ENCRYPT already keeps outsiders out: with encryption alone the
 * coordinator silently drops an outsider's JOIN (it cannot decrypt it), the joiner times out and
 * quietly forms a cluster of its own. The token lets the coordinator recognise the mismatch and
 * <em>answer</em>, so both sides log what is wrong. The token is sent in clear and could be
 * replayed, which buys an attacker nothing: membership traffic after the join is encrypted with a
 * key the token does not reveal.
 *
 * <p>JGroups instantiates received tokens by class name with the public no-argument constructor.
 */
public final class CookieAuthToken extends AuthToken {

    private static final int MAX_TOKEN_BYTES = 64;

    private byte[] token;

    /** For JGroups' deserialisation of a received token. */
    public CookieAuthToken() {
        this.token = new byte[0];
    }

    CookieAuthToken(byte[] token) {
        this.token = token.clone();
    }

    @Override
    public String getName() {
        return "warren-cookie";
    }

    @Override
    public int size() {
        return Short.BYTES + token.length;
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
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
        int length = in.readUnsignedShort();
        if (length > MAX_TOKEN_BYTES) {
            throw new IOException("cluster auth token of " + length + " bytes is longer than " + MAX_TOKEN_BYTES);
        }
        byte[] read = new byte[length];
        in.readFully(read);
        this.token = read;
    }

    @Override
    public String toString() {
        return "CookieAuthToken[redacted]";
    }
}
