package warren.cluster.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ClusterCookieTest {

    @Test
    void sameCookieDerivesTheSameAes256KeyAndToken() {
        ClusterCookie one = ClusterCookie.of("SHAREDCOOKIE");
        ClusterCookie two = ClusterCookie.of("SHAREDCOOKIE");

        assertEquals("AES", one.encryptionKey().getAlgorithm());
        assertEquals(32, one.encryptionKey().getEncoded().length);
        assertArrayEquals(one.encryptionKey().getEncoded(), two.encryptionKey().getEncoded());
        assertTrue(one.matchesToken(two.authToken()));
    }

    @Test
    void differentCookiesDeriveDifferentKeysAndTokens() {
        ClusterCookie one = ClusterCookie.of("SHAREDCOOKIE");
        ClusterCookie other = ClusterCookie.of("OTHERCOOKIE");

        assertFalse(Arrays.equals(one.encryptionKey().getEncoded(), other.encryptionKey().getEncoded()));
        assertFalse(one.matchesToken(other.authToken()));
    }

    @Test
    void tokenSentInClearIsNotTheKey() {
        ClusterCookie cookie = ClusterCookie.of("SHAREDCOOKIE");

        assertFalse(Arrays.equals(cookie.encryptionKey().getEncoded(), cookie.authToken()));
    }

    @Test
    void linkKeyIsItsOwnSecretAndEqualForTheSameCookie() {
        ClusterCookie cookie = ClusterCookie.of("SHAREDCOOKIE");

        assertEquals(32, cookie.linkKey().length);
        assertArrayEquals(cookie.linkKey(), ClusterCookie.of("SHAREDCOOKIE").linkKey());
        assertFalse(Arrays.equals(cookie.linkKey(), ClusterCookie.of("OTHERCOOKIE").linkKey()));
        assertFalse(Arrays.equals(cookie.linkKey(), cookie.authToken()));
        assertFalse(Arrays.equals(cookie.linkKey(), cookie.encryptionKey().getEncoded()));
    }

    @Test
    void trailingNewlineOfTheCookieFileDoesNotChangeTheKey() {
        assertArrayEquals(ClusterCookie.of("SHAREDCOOKIE").encryptionKey().getEncoded(),
                ClusterCookie.of("SHAREDCOOKIE\n").encryptionKey().getEncoded());
    }

    @Test
    void neverPrintsTheCookie() {
        assertFalse(ClusterCookie.of("SHAREDCOOKIE").toString().contains("SHAREDCOOKIE"));
    }

    @Test
    void blankCookieIsRejectedNamingTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterCookie.of("  "));
        assertTrue(e.getMessage().contains(".warren.cookie"));
    }
}
