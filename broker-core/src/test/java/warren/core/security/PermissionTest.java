package warren.core.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PermissionTest {

    @Test
    void eachKindUsesItsOwnPattern() {
        Permission p = new Permission("u", "/", "^cfg-.*$", "^w-.*$", "^r-.*$");
        assertTrue(p.allows(AccessKind.CONFIGURE, "cfg-q"));
        assertFalse(p.allows(AccessKind.CONFIGURE, "w-q"));
        assertTrue(p.allows(AccessKind.WRITE, "w-x"));
        assertFalse(p.allows(AccessKind.WRITE, "r-x"));
        assertTrue(p.allows(AccessKind.READ, "r-q"));
        assertFalse(p.allows(AccessKind.READ, "cfg-q"));
    }

    @Test
    void emptyPatternMatchesNothing() {
        Permission p = new Permission("u", "/", "", "", ".*");
        assertFalse(p.allows(AccessKind.CONFIGURE, "q"));
        assertFalse(p.allows(AccessKind.WRITE, "amq.default"));
        assertTrue(p.allows(AccessKind.READ, "anything"));
    }

    @Test
    void patternsAreUnanchoredSearchesAsInRabbitMq() {
        // RabbitMQ uses re:run/2, which finds the pattern anywhere unless the pattern anchors itself.
        Permission p = new Permission("u", "/", "^app-", "log", "^amq\\.gen.*$");
        assertTrue(p.allows(AccessKind.CONFIGURE, "app-orders"));
        assertFalse(p.allows(AccessKind.CONFIGURE, "myapp-orders"));
        assertTrue(p.allows(AccessKind.WRITE, "audit.log.x"));
        assertTrue(p.allows(AccessKind.READ, "amq.gen-abc"));
        assertFalse(p.allows(AccessKind.READ, "x.amq.gen-abc"));
    }

    @Test
    void invalidRegexIsRejectedNamingTheKind() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Permission("u", "/", ".*", "(", ".*"));
        assertTrue(e.getMessage().contains("write"), e.getMessage());
    }
}
