package warren.cluster.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import warren.cluster.security.ClusterCookie;

class CookieAuthTokenTest {

    private static final byte[] PROOF = ClusterCookie.of("SHAREDCOOKIE").authToken();

    @Test
    void carriesTheCookieProofAndTheVersionOverTheWire() throws IOException {
        CookieAuthToken sent = new CookieAuthToken(PROOF, "1.2.5");

        byte[] wire = write(sent);
        CookieAuthToken received = read(wire);

        assertEquals(sent.size(), wire.length);
        assertEquals("1.2.5", received.version());
        assertTrue(new CookieAuthToken(PROOF, "1.3.0").authenticate(received, null),
                "the cookie alone authenticates; the version rule is applied by CookieAuth");
    }

    @Test
    void anotherCookieDoesNotAuthenticateWhateverItsVersion() throws IOException {
        CookieAuthToken other = new CookieAuthToken(ClusterCookie.of("OTHERCOOKIE").authToken(), "1.2.5");

        assertFalse(new CookieAuthToken(PROOF, "1.2.5").authenticate(read(write(other)), null));
    }

    @Test
    void rejectsAnOverlongVersionOnTheWire() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeShort(PROOF.length);
        out.write(PROOF);
        out.writeShort(65);
        out.write(new byte[65]);

        IOException e = assertThrows(IOException.class, () -> read(bytes.toByteArray()));
        assertTrue(e.getMessage().contains("Warren version"), e.getMessage());
    }

    @Test
    void toStringShowsTheVersionButNotTheProof() {
        assertEquals("CookieAuthToken[redacted, version=1.2.5]", new CookieAuthToken(PROOF, "1.2.5").toString());
    }

    private static byte[] write(CookieAuthToken token) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        token.writeTo(new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private static CookieAuthToken read(byte[] wire) throws IOException {
        CookieAuthToken token = new CookieAuthToken();
        token.readFrom(new DataInputStream(new ByteArrayInputStream(wire)));
        return token;
    }
}
