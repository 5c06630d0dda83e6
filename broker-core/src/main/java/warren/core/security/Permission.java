package warren.core.security;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One user's permissions in one vhost: three regular expressions matched against resource names,
 * as RabbitMQ's configure/write/read. An empty pattern matches nothing.
 */
public final class Permission {
    private final String user;
    private final String vhost;
    private final String configure;
    private final String write;
    private final String read;
    private final Pattern configurePattern;
    private final Pattern writePattern;
    private final Pattern readPattern;

    public Permission(String user, String vhost, String configure, String write, String read) {
        this.user = user;
        this.vhost = vhost;
        this.configure = configure;
        this.write = write;
        this.read = read;
        this.configurePattern = compile(configure, "configure");
        this.writePattern = compile(write, "write");
        this.readPattern = compile(read, "read");
    }

    private static Pattern compile(String regex, String what) {
        if (regex.isEmpty()) {
            return null;
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid " + what + " permission regex '" + regex + "': "
                    + e.getDescription());
        }
    }

    public String user() {
        return user;
    }

    public String vhost() {
        return vhost;
    }

    public String configure() {
        return configure;
    }

    public String write() {
        return write;
    }

    public String read() {
        return read;
    }

    public boolean allows(AccessKind kind, String resource) {
        Pattern p = switch (kind) {
            case CONFIGURE -> configurePattern;
            case WRITE -> writePattern;
            case READ -> readPattern;
        };
        // find(), not matches(): RabbitMQ runs re:run/2, unanchored unless the pattern anchors itself.
        return p != null && p.matcher(resource).find();
    }
}
