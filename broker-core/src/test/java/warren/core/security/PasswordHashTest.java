package warren.core.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PasswordHashTest {

    @Test
    void hashRoundTripsAndRejectsAWrongPassword() {
        String h = PasswordHash.hash("s3cret-ü");
        assertTrue(PasswordHash.matches(h, "s3cret-ü"));
        assertFalse(PasswordHash.matches(h, "s3cret-u"));
        assertFalse(PasswordHash.matches(h, ""));
        assertFalse(PasswordHash.matches(h, null));
    }

    @Test
    void hashesAreSaltedAndInRabbitMqSha256Layout() {
        String a = PasswordHash.hash("guest");
        String b = PasswordHash.hash("guest");
        assertNotEquals(a, b);
        assertEquals(36, Base64.getDecoder().decode(a).length);
    }

    @Test
    void acceptsAHashBuiltTheWayRabbitMqBuildsIt() throws Exception {
        byte[] salt = {(byte) 0x90, (byte) 0x8d, (byte) 0xc6, 0x0a};
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(salt);
        byte[] digest = sha.digest("test12".getBytes(StandardCharsets.UTF_8));
        byte[] all = new byte[36];
        System.arraycopy(salt, 0, all, 0, 4);
        System.arraycopy(digest, 0, all, 4, 32);
        String encoded = Base64.getEncoder().encodeToString(all);
        assertTrue(PasswordHash.matches(encoded, "test12"));
        assertTrue(new User("u", encoded, Set.of()).checkPassword("test12"));
    }

    @Test
    void malformedHashesNeverMatch() {
        assertFalse(PasswordHash.matches("not base64!", "x"));
        assertFalse(PasswordHash.matches(Base64.getEncoder().encodeToString(new byte[10]), "x"));
        assertFalse(PasswordHash.matches(null, "x"));
    }
}
