package warren.core.security;

/** RabbitMQ's three permission kinds. */
public enum AccessKind {
    CONFIGURE, WRITE, READ;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
