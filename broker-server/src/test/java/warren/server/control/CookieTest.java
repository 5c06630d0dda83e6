package warren.server.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import warren.server.Cookie;
import warren.server.config.ConfigError;

class CookieTest {

    @TempDir
    Path dir;

    @Test
    void createsARandomOwnerReadOnlyCookie() throws Exception {
        Path file = dir.resolve("sub/.warren.cookie");
        String cookie = Cookie.loadOrCreate(file);
        assertTrue(cookie.length() >= 20, cookie);
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(cookie, Cookie.loadOrCreate(file));
        assertEquals(cookie, Cookie.read(file));
    }

    @Test
    void refusesACookieOthersCanRead() throws Exception {
        Path file = dir.resolve("cookie");
        Files.writeString(file, "SOMECOOKIEVALUEOFTWENTY");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigError e = assertThrows(ConfigError.class, () -> Cookie.loadOrCreate(file));
        assertTrue(e.getMessage().contains("must be accessible by owner only"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void readingAMissingCookieNamesThePath() {
        Path file = dir.resolve("absent");
        ConfigError e = assertThrows(ConfigError.class, () -> Cookie.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
